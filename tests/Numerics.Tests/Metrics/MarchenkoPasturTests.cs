using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Metrics;

public sealed class MarchenkoPasturTests
{
    [Fact]
    public void NullExplainedVarianceMatchesSimulatedGaussianMatrix()
    {
        const int n = 2000, d = 100, k = 10;
        var rows = TestData.Gaussian(80, n * d);
        var (values, _) = Reference.Eigen(Reference.Gram(rows, n, d), d);
        double simulated = values.TakeLast(k).Sum() / values.Sum();
        double predicted = MarchenkoPastur.NullExplainedVariance(n, d, k);
        Assert.Equal(simulated, predicted, 0.01);
        Assert.True(predicted > (double)k / d, "noise still concentrates a little in the top directions");
    }

    [Theory]
    [InlineData(400, 4096, 8)]
    [InlineData(4096, 4096, 8)]
    [InlineData(2000, 100, 10)]
    [InlineData(10, 4, 2)]
    [InlineData(4097, 4096, 4000)]
    public void NullExplainedVarianceEqualsTheDensitysTopMassIntegratedDirectly(long rows, long cols, int k)
    {
        // The top k/p of the Marchenko–Pastur mass, f(x) = √((b − x)(x − a)) / (2πγx) on [a, b], walked down from b by the
        // midpoint rule in x; the energy share is the integral of x·f over it.
        double gamma = (double)Math.Min(rows, cols) / Math.Max(rows, cols);
        var (a, b) = MarchenkoPastur.Edges(rows, cols);
        double target = (double)k / Math.Min(rows, cols), mass = 0, energy = 0;
        const int steps = 4_000_000;
        double dx = (b - a) / steps;
        for (int i = 0; i < steps && mass < target; i++)
        {
            double x = b - ((i + 0.5) * dx);
            double density = Math.Sqrt((b - x) * (x - a)) / (2 * Math.PI * gamma * x);
            double step = Math.Min(density * dx, target - mass);
            mass += step;
            energy += x * step;
        }

        Assert.Equal(target, mass, 1e-9);
        Assert.Equal(energy, MarchenkoPastur.NullExplainedVariance(rows, cols, k), 1e-6);
    }

    [Fact]
    public void EdgesAndLimitsFollowTheLaw()
    {
        var (lower, upper) = MarchenkoPastur.Edges(400, 100);
        Assert.Equal(0.25, lower, 1e-12);
        Assert.Equal(2.25, upper, 1e-12);
        Assert.Equal(1.0, MarchenkoPastur.NullExplainedVariance(400, 100, 100));
        Assert.Equal(0.1, MarchenkoPastur.NullExplainedVariance(10_000_000, 100, 10), 0.002);
        Assert.Equal(MarchenkoPastur.NullExplainedVariance(400, 100, 7), MarchenkoPastur.NullExplainedVariance(100, 400, 7), 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() => MarchenkoPastur.NullExplainedVariance(400, 100, 101));
    }
}
