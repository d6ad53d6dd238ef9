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
