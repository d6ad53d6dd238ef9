using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

// SymmetricEigenTop: the partial solve a Frequent Directions shrink runs (ℓ + 1 values, ℓ vectors of a 2ℓ Gram).
// Every case is checked the same way against the float64 reference: the values are the reference's largest (Weyl:
// float32 input rounding moves them by ~1e-7‖A‖), every returned pair has a small residual ‖Av − λv‖, and the vectors
// are orthonormal — together these pin the result down without comparing vectors of (near-)equal eigenvalues.
// The matrices are the hard cases of a tridiagonal eigen-solver: well-separated and graded
// spectra, pairs closer than float32 can resolve, Wilkinson and glued-Wilkinson clusters, matrices that split into
// blocks (diagonal input), repeated values, zero and rank-deficient matrices, extreme scales, orders 1 and 2.
public abstract partial class BackendSuite
{
    private const double EigenTopTolerance = 2e-5;

    public static TheoryData<string> EigenTopCases() => new(
        "fd-gram", "planted-gram", "close-pairs", "wilkinson-21", "glued-wilkinson", "identity", "zero", "repeated-diagonal",
        "rank-deficient", "huge-scale", "tiny-scale", "one-by-one", "two-by-two");

    [Theory]
    [MemberData(nameof(EigenTopCases))]
    public void SymmetricEigenTopReturnsTheLargestEigenpairs(string name)
    {
        var (a, n) = EigenTopMatrix(name);
        int vectorCount = Math.Max(1, n / 2), valueCount = Math.Min(n, vectorCount + 1);
        CheckEigenTop(a, n, valueCount, vectorCount);
        CheckEigenTop(a, n, n, n);
    }

    [Fact]
    public void SymmetricEigenTopOfAnFdShapedGramIsAsAccurateAsTheFullSolve()
    {
        var (a, n) = EigenTopMatrix("fd-gram");
        var full = (float[])a.Clone();
        var values = new float[n];
        Backend.SymmetricEigen(n, full, values);
        double fullResidual = 0, norm = Math.Abs(values[^1]);
        for (int i = 0; i < 64; i++)
        {
            var v = Enumerable.Range(0, n).Select(r => (double)full[(r * n) + n - 1 - i]).ToArray();
            fullResidual = Math.Max(fullResidual, Residual(a, n, v, values[n - 1 - i]) / norm);
        }

        double topResidual = CheckEigenTop(a, n, 65, 64);
        Assert.True(topResidual <= Math.Max(2 * fullResidual, 1e-6), $"partial solve residual {topResidual:E2} vs full {fullResidual:E2}");
    }

    [Fact]
    public void SymmetricEigenTopSignsFollowTheConventionOnEveryBackend()
    {
        // The sign convention (positive projection on one fixed vector) makes the sign a function of the eigenvector, not
        // of the solver: this backend's partial solve and the managed full solve (tql2) agree vector by vector. Without
        // it, eight well-separated vectors would each come out with a solver-dependent sign.
        var (a, n) = EigenTopMatrix("planted-gram");
        const int k = 8;
        var mine = new float[k * n];
        Backend.SymmetricEigenTop(n, (float[])a.Clone(), k, k, new float[k], mine);
        var reference = new float[k * n];
        IBlasBackend managed = new ManagedBlasBackend();
        managed.SymmetricEigenTop(n, (float[])a.Clone(), k, k, new float[k], reference);
        for (int i = 0; i < k; i++)
        {
            double dot = 0;
            for (int r = 0; r < n; r++)
            {
                dot += mine[(i * n) + r] * (double)reference[(i * n) + r];
            }

            Assert.True(dot > 0.999, $"vector {i}: dot with the managed solver's {dot:F6}");
        }
    }

    [Fact]
    public void SymmetricEigenTopRejectsBadCountsShortOutputsAndNaN()
    {
        Assert.Equal("valueCount", Assert.Throws<ArgumentOutOfRangeException>(() => Backend.SymmetricEigenTop(4, new float[16], 5, 1, new float[5], new float[4])).ParamName);
        Assert.Equal("vectorCount", Assert.Throws<ArgumentOutOfRangeException>(() => Backend.SymmetricEigenTop(4, new float[16], 2, 3, new float[2], new float[12])).ParamName);
        Assert.Equal("vectors", Assert.Throws<ArgumentException>(() => Backend.SymmetricEigenTop(4, new float[16], 3, 2, new float[3], new float[7])).ParamName);
        Assert.Equal("eigenvalues", Assert.Throws<ArgumentException>(() => Backend.SymmetricEigenTop(4, new float[16], 3, 2, new float[2], new float[8])).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => Backend.SymmetricEigenTop(4, new float[15], 3, 2, new float[3], new float[8])).ParamName);
        var nan = new float[] { 1, float.NaN, float.NaN, 1 };
        Assert.Contains("(0, 1)", Assert.Throws<ArgumentException>(() => Backend.SymmetricEigenTop(2, nan, 1, 1, new float[1], new float[2])).Message);
    }

    /// <summary>Runs the partial solve and asserts values, residuals and orthonormality; returns the largest relative residual.</summary>
    private double CheckEigenTop(float[] matrix, int n, int valueCount, int vectorCount)
    {
        var exact = Reference.Eigen(matrix.Select(v => (double)v).ToArray(), n).Values;
        double norm = Math.Max(Math.Abs(exact[0]), Math.Abs(exact[^1]));
        double scale = norm == 0 ? 1 : norm;
        var a = (float[])matrix.Clone();
        var values = new float[valueCount];
        var vectors = new float[vectorCount * n];
        Backend.SymmetricEigenTop(n, a, valueCount, vectorCount, values, vectors);
        for (int i = 0; i < valueCount; i++)
        {
            Assert.True(Math.Abs(values[i] - exact[n - 1 - i]) <= EigenTopTolerance * scale,
                $"value {i}: {values[i]} vs exact {exact[n - 1 - i]} (‖A‖ = {norm})");
        }

        double worst = 0;
        for (int i = 0; i < vectorCount; i++)
        {
            var v = vectors.AsSpan(i * n, n).ToArray().Select(x => (double)x).ToArray();
            double residual = Residual(matrix, n, v, values[i]) / scale;
            Assert.True(residual <= EigenTopTolerance, $"vector {i}: ‖Av − λv‖/‖A‖ = {residual:E2}");
            worst = Math.Max(worst, residual);
            for (int j = 0; j <= i; j++)
            {
                double dot = 0;
                for (int r = 0; r < n; r++)
                {
                    dot += v[r] * vectors[(j * n) + r];
                }

                Assert.True(Math.Abs(dot - (i == j ? 1 : 0)) <= EigenTopTolerance, $"vectors {i}, {j}: dot {dot:E3}");
            }
        }

        return worst;
    }

    private static double Residual(float[] a, int n, double[] v, double lambda)
    {
        double sum = 0;
        for (int r = 0; r < n; r++)
        {
            double av = 0;
            for (int c = 0; c < n; c++)
            {
                av += a[(r * n) + c] * v[c];
            }

            sum += (av - (lambda * v[r])) * (av - (lambda * v[r]));
        }

        return Math.Sqrt(sum);
    }

    private static (float[] Matrix, int N) EigenTopMatrix(string name)
    {
        switch (name)
        {
            case "fd-gram":
            {
                // A full FD buffer: 64 rows with decaying energy (the kept sketch) over 64 new rows, d = 512.
                const int n = 128, d = 512;
                var rows = TestData.Gaussian(11, n * d);
                for (int i = 0; i < 64; i++)
                {
                    for (int j = 0; j < d; j++)
                    {
                        rows[(i * d) + j] *= 10f / (1 + i);
                    }
                }

                return (Gram(rows, n, d), n);
            }

            case "planted-gram":
                return (Gram(TestData.Planted(12, 96, 300, rank: 8, noise: 0.05), 96, 300), 96);
            case "close-pairs":
            {
                // Q·diag(λ)·Qᵀ with eight pairs 2e-7·‖A‖ apart among spread values (about two float32 ulps of ‖A‖).
                const int n = 64;
                var q = TestData.OrthonormalRows(16, n, n);
                var lambda = Enumerable.Range(0, n).Select(i => 1.0 - (i / (double)n)).ToArray();
                for (int p = 0; p < 8; p++)
                {
                    lambda[(4 * p) + 1] = lambda[4 * p] - 2e-7;
                }

                var a = new float[n * n];
                for (int i = 0; i < n; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        double sum = 0;
                        for (int k = 0; k < n; k++)
                        {
                            sum += q[(k * n) + i] * lambda[k] * q[(k * n) + j];
                        }

                        a[(i * n) + j] = (float)sum;
                    }
                }

                return (a, n);
            }

            case "wilkinson-21":
                return (Tridiagonal(21, i => Math.Abs(10 - i), _ => 1), 21);
            case "glued-wilkinson":
            {
                // Five W21⁺ glued by 1e-7: clusters of five eigenvalues within ~1e-7 of each other.
                const int n = 105;
                return (Tridiagonal(n, i => Math.Abs(10 - (i % 21)), i => (i % 21) == 20 ? 1e-7 : 1), n);
            }

            case "identity":
                return (Tridiagonal(40, _ => 1, _ => 0), 40);
            case "zero":
                return (new float[30 * 30], 30);
            case "repeated-diagonal":
                return (Tridiagonal(33, i => i % 3, _ => 0), 33);
            case "rank-deficient":
                return (Gram(TestData.Gaussian(13, 20 * 200), 20, 200, pad: 128), 128);
            case "huge-scale":
                return (Scaled(Gram(TestData.Gaussian(14, 64 * 100), 64, 100), 1e30f), 64);
            case "tiny-scale":
                return (Scaled(Gram(TestData.Gaussian(15, 64 * 100), 64, 100), 1e-30f), 64);
            case "one-by-one":
                return ([3.5f], 1);
            case "two-by-two":
                return ([2f, 1f, 1f, 2f], 2);
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown eigen case.");
        }
    }

    /// <summary>B·Bᵀ of <paramref name="rows"/> (rows×d), embedded in a <paramref name="pad"/>-square zero matrix when larger.</summary>
    private static float[] Gram(float[] rows, int count, int d, int pad = 0)
    {
        int n = Math.Max(count, pad);
        var wide = Widen(rows);
        var exact = Reference.Multiply(false, true, count, count, d, wide, d, wide, d);
        var g = new float[n * n];
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < count; j++)
            {
                g[(i * n) + j] = (float)exact[(i * count) + j];
            }
        }

        return g;
    }

    private static float[] Tridiagonal(int n, Func<int, double> diagonal, Func<int, double> offDiagonal)
    {
        var t = new float[n * n];
        for (int i = 0; i < n; i++)
        {
            t[(i * n) + i] = (float)diagonal(i);
            if (i < n - 1)
            {
                t[(i * n) + i + 1] = t[((i + 1) * n) + i] = (float)offDiagonal(i);
            }
        }

        return t;
    }

    private static float[] Scaled(float[] a, float factor) => a.Select(v => v * factor).ToArray();
}
