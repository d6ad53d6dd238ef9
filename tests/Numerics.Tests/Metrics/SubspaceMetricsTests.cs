using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Metrics;

public sealed class SubspaceMetricsTests
{
    private const int D = 6;

    [Fact]
    public void PrincipalAnglesRecoverPlantedRotations()
    {
        double a = 0.1, b = 0.7;
        float[] u = [1, 0, 0, 0, 0, 0, /**/ 0, 1, 0, 0, 0, 0];
        float[] v =
        [
            (float)Math.Cos(a), 0, (float)Math.Sin(a), 0, 0, 0,
            0, (float)Math.Cos(b), 0, (float)Math.Sin(b), 0, 0,
        ];
        var angles = SubspaceMetrics.PrincipalAngles(u, 2, v, 2, D);
        Assert.Equal(a, angles[0], 1e-6);
        Assert.Equal(b, angles[1], 1e-6);
        Assert.Equal(Math.Sin(b), SubspaceMetrics.SinThetaMax(u, 2, v, 2, D), 1e-6);
        Assert.Equal(Math.Sqrt((Math.Sin(a) * Math.Sin(a)) + (Math.Sin(b) * Math.Sin(b))), SubspaceMetrics.SinThetaFrobenius(u, 2, v, 2, D), 1e-6);
        Assert.Equal(0, SubspaceMetrics.SinThetaMax(u, 2, u, 2, D), 1e-7);
    }

    [Fact]
    public void UnequalRanksMeasureContainmentOfTheSmallerSubspace()
    {
        float[] small = [0, 1, 0, 0, 0, 0];
        float[] large = [1, 0, 0, 0, 0, 0, /**/ 0, 1, 0, 0, 0, 0, /**/ 0, 0, 1, 0, 0, 0];
        Assert.Single(SubspaceMetrics.PrincipalAngles(large, 3, small, 1, D));
        Assert.Equal(0, SubspaceMetrics.SinThetaMax(small, 1, large, 3, D), 1e-7);
        float[] outside = [0, 0, 0, 0, 0, 1];
        Assert.Equal(1, SubspaceMetrics.SinThetaMax(outside, 1, large, 3, D), 1e-7);
    }

    [Fact]
    public void MetricsRejectBadShapesNamingTheBasis()
    {
        var ex = Assert.Throws<ArgumentException>(() => SubspaceMetrics.SinThetaMax(new float[11], 2, new float[12], 2, D));
        Assert.Equal("u", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => SubspaceMetrics.SinThetaMax(new float[12], 2, new float[42], 7, D));
    }

    [Fact]
    public void CapturedEnergyIsOptimalForExactEigenvectorsAndLowerOtherwise()
    {
        const int n = 300, d = 20, k = 3;
        var rows = TestData.Planted(seed: 70, n, d, rank: 5, noise: 0.2);
        var gram = Reference.Gram(rows, n, d);
        var op = new DenseSymmetricOperator(new ManagedBlasBackend(), gram, d);
        var (values, _) = Reference.Eigen(gram, d);
        var best = Reference.TopEigenvectors(gram, d, k);
        Assert.Equal(1.0, SubspaceMetrics.CapturedEnergyRatio(op, best, k, values), 1e-6);
        var other = Reference.TopEigenvectors(gram, d, k + 2).Skip(2 * d).ToArray();
        Assert.True(SubspaceMetrics.CapturedEnergyRatio(op, other, k, values) < 0.9);
        Assert.Equal(values[^1] + values[^2] + values[^3], SubspaceMetrics.CapturedEnergy(op, best, k), 1e-6 * values[^1]);
    }

    [Fact]
    public void MeanDirectionShareIsTheFractionOfEnergyAlongTheMean()
    {
        // Rows (3, 0) and (3, 1): energy 9 + 10 = 19; along the mean (3, 0.5)/‖·‖: (9 + (3·3 + 0.5)²/…) computed exactly below.
        double[] gram = [18, 3, 3, 1];
        var op = new DenseSymmetricOperator(new ManagedBlasBackend(), gram, 2);
        double[] mean = [3, 0.5];
        double norm2 = 9.25;
        double expected = ((18 * 9) + (2 * 3 * 3 * 0.5) + (1 * 0.25)) / norm2 / 19;
        Assert.Equal(expected, SubspaceMetrics.MeanDirectionShare(op, mean), 1e-12);
        Assert.Equal(0, SubspaceMetrics.MeanDirectionShare(op, [0, 0]));
    }
}
