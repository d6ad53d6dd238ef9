using System.Buffers.Binary;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

public abstract partial class BackendSuite
{
    [Fact]
    public void NystromIsExactWhenTheCovarianceHasRankBelowItsColumns()
    {
        // 60 rows of rank 5 (no noise) in d = 48: a sketch of s = 12 columns recovers C itself.
        const int n = 60, d = 48, k = 5;
        var rows = TestData.Planted(seed: 401, n, d, rank: k, noise: 0);
        using var sketch = new NystromSketch(Backend, d, columns: 12, MeanMode.None);
        sketch.AppendRows(rows, n, units: 6);

        var basis = new SubspaceBasisSolver(Backend).Compute(sketch, new BasisOptions { Rank = k });
        var gram = Reference.Gram(rows, n, d);
        var exact = Reference.TopEigenvectors(gram, d, k);
        double sin = SubspaceMetrics.SinThetaMax(basis.Vectors, k, exact, k, d);
        Assert.True(sin <= 1e-5, $"sin θ_max = {sin}");
        Assert.Equal((60L, 6L), (sketch.RowCount, sketch.UnitCount));
        Assert.True(sketch.Certificate <= 1e-6 * sketch.TotalEnergy, $"certificate {sketch.Certificate:E3} of energy {sketch.TotalEnergy:E3}");

        // The reconstruction is C: ‖C − Ĉ‖_F small against ‖C‖_F.
        var reconstructed = Operators.Dense(sketch.CreateOperator(centred: false));
        Assert.True(RelativeError(reconstructed, gram) < 1e-5, $"‖C − Ĉ‖/‖C‖ = {RelativeError(reconstructed, gram):E2}");
    }

    [Fact]
    public void NystromCertificateBoundsTheErrorAndItsBasisCapturesNearlyTheBestEnergy()
    {
        // Rank 20 with decaying strengths plus noise in d = 96, sketched with s = 24: not exact, but 0 ≼ Ĉ ≼ C.
        const int n = 400, d = 96, k = 6;
        var rows = TestData.Planted(seed: 402, n, d, rank: 20, noise: 0.3, decay: 0.8);
        using var sketch = new NystromSketch(Backend, d, columns: 24, MeanMode.None);
        for (int offset = 0; offset < n; offset += 16)
        {
            sketch.AppendRows(rows.AsSpan(offset * d, 16 * d), 16);
        }

        var gram = Reference.Gram(rows, n, d);
        var reconstructed = Operators.Dense(sketch.CreateOperator(centred: false));
        var residual = Reference.Subtract(gram, reconstructed);
        double error = Reference.SpectralNorm(residual, d);
        Assert.True(Reference.MinEigenvalue(residual, d) >= -1e-6 * Reference.SpectralNorm(gram, d), "Ĉ ≼ C");
        Assert.True(error <= sketch.Certificate * (1 + 1e-9), $"‖C − Ĉ‖₂ = {error:E3} > certificate {sketch.Certificate:E3}");
        Assert.Equal(gram.Where((_, i) => i % (d + 1) == 0).Sum(), sketch.TotalEnergy, 1e-6 * sketch.TotalEnergy);

        var basis = new SubspaceBasisSolver(Backend).Compute(sketch, new BasisOptions { Rank = k });
        Assert.Equal(sketch.Certificate, basis.Certificate);
        var exact = Reference.TopEigenvectors(gram, d, k);
        double best = Captured(gram, exact, k, d), captured = Captured(gram, basis.Vectors, k, d);
        Assert.True(captured >= 0.99 * best, $"captured {captured:E4} of the best {best:E4}");
    }

    [Theory]
    [InlineData(MeanMode.None)]
    [InlineData(MeanMode.Track)]
    [InlineData(MeanMode.Centre)]
    public void SubtractingPartsLeavesTheNystromSketchOfOneThatNeverSawThem(MeanMode mode)
    {
        const int d = 24;
        int[] removed = [1, 4];
        using var all = new NystromSketch(Backend, d, columns: 8, mode);
        using var kept = new NystromSketch(Backend, d, columns: 8, mode);
        for (int part = 0; part < 6; part++)
        {
            AppendPart(all, part, d);
            if (!removed.Contains(part))
            {
                AppendPart(kept, part, d);
            }
        }

        foreach (int part in removed)
        {
            using var alone = new NystromSketch(Backend, d, columns: 8, mode);
            AppendPart(alone, part, d);
            all.Subtract(alone);
        }

        Assert.True(all.CanSubtract);
        Assert.Equal((kept.RowCount, kept.UnitCount), (all.RowCount, all.UnitCount));
        var expected = new double[d * 8];
        var actual = new double[d * 8];
        kept.CopyRange(expected);
        all.CopyRange(actual);

        // Centre mode removes the float32 between-group row as well as the part's own scatter (as the exact Gram does).
        double tolerance = mode == MeanMode.Centre ? 1e-6 : 1e-12;
        Assert.True(RelativeError(actual, expected) < tolerance, $"Y relative difference {RelativeError(actual, expected):E2}");
        Assert.Equal(kept.TotalEnergy, all.TotalEnergy, kept.TotalEnergy * tolerance);

        bool centred = mode != MeanMode.None;
        var solver = new SubspaceBasisSolver(Backend);
        var options = new BasisOptions { Rank = 4, Centred = centred };
        double sin = SubspaceMetrics.SinThetaMax(solver.Compute(all, options).Vectors, 4, solver.Compute(kept, options).Vectors, 4, d);
        Assert.True(sin <= 1e-6, $"sin θ_max = {sin:E2}");
    }

    [Fact]
    public void NystromSketchesOfPartsMergeIntoTheSketchOfAllRows()
    {
        const int d = 40, s = 10;
        var rows = TestData.Planted(seed: 403, 90, d, rank: 6, noise: 0.1, offset: 1.0);
        using var whole = new NystromSketch(Backend, d, s, MeanMode.Track);
        using var first = new NystromSketch(Backend, d, s, MeanMode.Track);
        using var second = new NystromSketch(Backend, d, s, MeanMode.Track);
        whole.AppendRows(rows, 90, units: 3);
        first.AppendRows(rows.AsSpan(0, 50 * d), 50, units: 2);
        second.AppendRows(rows.AsSpan(50 * d), 40, units: 1);
        first.Merge(second);

        var expected = new double[d * s];
        var actual = new double[d * s];
        whole.CopyRange(expected);
        first.CopyRange(actual);
        Assert.True(RelativeError(actual, expected) < 1e-12, $"Y relative difference {RelativeError(actual, expected):E2}");
        Assert.Equal((90L, 3L), (first.RowCount, first.UnitCount));

        // Y is C·Ω for the one shared Ω: a sketch holds exactly the exact Gram times the test matrix.
        var omega = NystromSketch.TestMatrix(d, s);
        var gramTimesOmega = Reference.Multiply(false, false, d, s, d, Reference.Gram(rows, 90, d), d, omega, s);
        Assert.True(RelativeError(expected, gramTimesOmega) < 1e-6, $"Y vs G·Ω: {RelativeError(expected, gramTimesOmega):E2}");

        using var other = new NystromSketch(Backend, d, s + 1, MeanMode.Track);
        Assert.Contains("s = 11 and s = 10", Assert.Throws<ArgumentException>(() => first.Merge(other)).Message);
        using var fd = new FrequentDirectionsSketch(Backend, d, s, MeanMode.Track);
        Assert.Contains("Cannot merge a FrequentDirections sketch", Assert.Throws<ArgumentException>(() => first.Merge(fd)).Message);
    }

    [Theory]
    [InlineData(MeanMode.Track, false, true)]
    [InlineData(MeanMode.Centre, true, true)]
    [InlineData(MeanMode.Track, true, false)]
    public void NystromPartsMergedFromSummariesEqualOneSketchOfAllRows(MeanMode mode, bool centred, bool fromRows)
    {
        const int d = 80, s = 12;
        var factory = new CovarianceSketchFactory(Backend);
        var solver = new SubspaceBasisSolver(Backend);
        (int Seed, int Rows)[] parts = [(411, 37), (412, 29), (413, 44)];
        var merged = new MergedSketch(factory, solver, parts.Length);
        using var whole = new NystromSketch(Backend, d, s, mode);
        for (int i = 0; i < parts.Length; i++)
        {
            var rows = TestData.Planted(parts[i].Seed, parts[i].Rows, d, rank: 5, noise: 1e-3, offset: 1.5);
            using var part = new NystromSketch(Backend, d, s, mode);
            part.AppendRows(rows, parts[i].Rows, units: 1);
            whole.AppendRows(rows, parts[i].Rows, units: 1);
            merged.Set(i, SketchSummary.Read(part.Serialize()));
        }

        var options = new BasisOptions { Rank = 5, Centred = centred };
        var fromSummaries = merged.ComputeBasis(options);
        var reference = solver.Compute(whole, options);
        double sin = SubspaceMetrics.SinThetaMax(fromSummaries.Vectors, 5, reference.Vectors, 5, d);
        Assert.True(sin <= 1e-5, $"sin θ to one sketch of all rows: {sin:E2}");
        Assert.Equal((110L, 3L), (fromSummaries.RowCount, fromSummaries.UnitCount));
        Assert.Equal(whole.Certificate, fromSummaries.Certificate, 1e-6 * whole.TotalEnergy);

        // Solved from the reconstruction's rows when they express the mean asked for; a centred basis of a tracking
        // sketch needs the rank-one correction, which the iterative solver applies.
        Assert.Equal(fromRows, fromSummaries.Iterations == 0);
    }

    [Fact]
    public void NystromTestMatrixIsOrthonormalAndFixed()
    {
        const int d = 64, s = 16;
        var omega = NystromSketch.TestMatrix(d, s);
        var gram = Reference.Multiply(true, false, s, s, d, omega, s, omega, s);
        for (int i = 0; i < s; i++)
        {
            for (int j = 0; j < s; j++)
            {
                Assert.Equal(i == j ? 1.0 : 0.0, gram[(i * s) + j], 1e-12);
            }
        }

        // Part of the stored format: a sketch written by another build must meet the same Ω, or merges would be wrong.
        // Pinned from this build's draw (managed Box–Muller from System.Random(20171204), managed Householder QR).
        Assert.Equal(-0.0912042906, omega[0], 1e-9);
        Assert.Equal(0.0942226170, omega[(37 * s) + 11], 1e-9);
    }

    [Fact]
    public void NystromRefusesMoreDirectionsThanColumnsAndBadBlobsNameTheField()
    {
        const int d = 20;
        Assert.Contains("2 ≤ s ≤ 20", Assert.Throws<ArgumentOutOfRangeException>(() => new NystromSketch(Backend, d, columns: 21, MeanMode.None)).Message);
        using var sketch = new NystromSketch(Backend, d, columns: 6, MeanMode.None);
        sketch.AppendRows(TestData.Planted(seed: 404, 30, d, rank: 3, noise: 0.1), 30);
        var error = Assert.Throws<ArgumentException>(() => new SubspaceBasisSolver(Backend).Compute(sketch, new BasisOptions { Rank = 6 }));
        Assert.Contains("s = 6 ≤ k = 6", error.Message);

        var blob = sketch.Serialize();
        var wide = (byte[])blob.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(wide.AsSpan(12), 21);
        Rehash(wide);
        Assert.Contains("s = 21 test columns", Assert.Throws<SketchFormatException>(() => SketchSerializer.Deserialize(wide, Backend)).Message);
        var nan = (byte[])blob.Clone();
        BinaryPrimitives.WriteDoubleLittleEndian(nan.AsSpan(SketchSerializer.HeaderLength + (8 * ((3 * 6) + 2))), double.NaN);
        Rehash(nan);
        Assert.Contains("non-finite value at row 3, column 2", Assert.Throws<SketchFormatException>(() => SketchSerializer.Deserialize(nan, Backend)).Message);
    }

    /// <summary>tr(V·C·Vᵀ) for k orthonormal rows V.</summary>
    private static double Captured(double[] gram, ReadOnlySpan<float> vectors, int k, int d) => Captured(gram, Widen(vectors), k, d);

    private static double Captured(double[] gram, double[] vectors, int k, int d)
    {
        var cv = Reference.Multiply(false, true, d, k, d, gram, d, vectors, d);
        double sum = 0;
        for (int p = 0; p < k; p++)
        {
            for (int i = 0; i < d; i++)
            {
                sum += vectors[(p * d) + i] * cv[(i * k) + p];
            }
        }

        return sum;
    }
}
