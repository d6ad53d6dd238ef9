using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

public abstract partial class BackendSuite
{
    [Fact]
    public void FrequentDirectionsBasisMatchesExactEigenvectorsWhenThereIsASpectralGap()
    {
        const int n = 1500, d = 96, k = 6;
        var rows = TestData.Planted(seed: 21, n, d, rank: k, noise: 0.02);
        using var sketch = new FrequentDirectionsSketch(Backend, d, ell: 24, MeanMode.None);
        for (int offset = 0; offset < n; offset += 100)
        {
            sketch.AppendRows(rows.AsSpan(offset * d, 100 * d), 100);
        }

        var basis = new SubspaceBasisSolver(Backend).Compute(sketch, new BasisOptions { Rank = k });
        var exact = Reference.TopEigenvectors(Reference.Gram(rows, n, d), d, k);

        Assert.True(sketch.ShrinkCount > 0);
        Assert.Equal(n, sketch.RowCount);
        Assert.Equal(15, sketch.UnitCount);
        double sin = SubspaceMetrics.SinThetaMax(basis.Vectors, k, exact, k, d);
        Assert.True(sin <= 1e-3, $"sin θ_max = {sin}");
        Assert.True(basis.Converged);
        Assert.Equal(sketch.Certificate, basis.Certificate);
        Assert.InRange(basis.ExplainedEnergy, 0.95, 1.0);
    }

    [Fact]
    public void FrequentDirectionsGuaranteeHoldsAndCertificateBoundsTheError()
    {
        const int n = 800, d = 64, ell = 16;
        var rows = TestData.Planted(seed: 22, n, d, rank: 12, noise: 0.3, decay: 0.85);
        using var sketch = new FrequentDirectionsSketch(Backend, d, ell, MeanMode.None);
        sketch.AppendRows(rows, n);
        var ata = Reference.Gram(rows, n, d);
        AssertFrequentDirectionsGuarantee(ata, Reference.SketchGram(sketch), sketch.Certificate, d, ell);
        Assert.Equal(Reference.Gram(rows, n, d).Where((_, i) => i % (d + 1) == 0).Sum(), sketch.TotalEnergy, 1e-6 * sketch.TotalEnergy);
    }

    [Fact]
    public void MergedSketchesObeyTheSameBoundWithSummedCounts()
    {
        const int d = 64, ell = 16;
        int[] sizes = [300, 170, 330];
        var rows = TestData.Planted(seed: 23, sizes.Sum(), d, rank: 12, noise: 0.3, decay: 0.85, offset: 2.0);
        var sketches = new List<FrequentDirectionsSketch>();
        int start = 0;
        foreach (int size in sizes)
        {
            var s = new FrequentDirectionsSketch(Backend, d, ell, MeanMode.Centre);
            for (int i = 0; i < size; i += 10)
            {
                s.AppendRows(rows.AsSpan((start + i) * d, 10 * d), 10, units: 1);
            }

            sketches.Add(s);
            start += size;
        }

        // ((s1 ⊕ s2) ⊕ s0): a merge tree different from the arrival order.
        sketches[1].Merge(sketches[2]);
        sketches[0].Merge(sketches[1]);
        var merged = sketches[0];
        int n = sizes.Sum();
        Assert.Equal(n, merged.RowCount);
        Assert.Equal(n / 10, merged.UnitCount);
        var mean = new double[d];
        merged.CopyMean(mean);
        var exactMean = Reference.Mean(rows, n, d);
        Assert.True(RelativeError(mean, exactMean) < 1e-9);

        var scatter = Reference.Gram(rows, n, d, centred: true);
        Assert.Equal(scatter.Where((_, i) => i % (d + 1) == 0).Sum(), merged.TotalEnergy, 1e-5 * merged.TotalEnergy);
        AssertFrequentDirectionsGuarantee(scatter, Operators.Dense(merged.CreateOperator(centred: true)), merged.Certificate, d, ell);
        foreach (var s in sketches)
        {
            s.Dispose();
        }
    }

    [Fact]
    public void CoordinatedSlicedShrinkEqualsSingleNodeFrequentDirections()
    {
        const int ell = 10, d = 90;
        int[] widths = [30, 25, 35];
        var rows = TestData.Planted(seed: 24, 2 * ell, d, rank: 8, noise: 0.5);

        // Single node: absorbing exactly 2ℓ rows triggers one shrink.
        using var single = new FrequentDirectionsSketch(Backend, d, ell, MeanMode.None);
        single.AppendRows(rows, 2 * ell);
        Assert.Equal(1, single.ShrinkCount);
        var expected = new float[single.BufferedRows * d];
        single.CopyRows(expected);

        // Sliced: each slice holds its columns, the slice Grams are summed, one plan is applied everywhere.
        var slices = new List<OrleansUws.Numerics.Backends.ISketchWorkspace>();
        var summed = new double[4 * ell * ell];
        int col0 = 0;
        foreach (int w in widths)
        {
            var ws = Backend.CreateSketchWorkspace(2 * ell, w);
            var part = new float[2 * ell * w];
            for (int i = 0; i < 2 * ell; i++)
            {
                rows.AsSpan((i * d) + col0, w).CopyTo(part.AsSpan(i * w, w));
            }

            ws.SetRows(0, part, 2 * ell);
            var g = new double[4 * ell * ell];
            ws.Gram(2 * ell, g);
            for (int i = 0; i < g.Length; i++)
            {
                summed[i] += g[i];
            }

            slices.Add(ws);
            col0 += w;
        }

        var plan = FrequentDirectionsShrink.Plan(Backend, summed, 2 * ell, ell);
        Assert.Equal(single.BufferedRows, plan.OutRows);
        Assert.Equal(single.Certificate, plan.Delta, single.Certificate * 1e-4);
        var stitched = new double[plan.OutRows * d];
        col0 = 0;
        for (int s = 0; s < slices.Count; s++)
        {
            FrequentDirectionsShrink.Apply(slices[s], plan);
            var part = new float[plan.OutRows * widths[s]];
            slices[s].GetRows(0, plan.OutRows, part);
            for (int i = 0; i < plan.OutRows; i++)
            {
                for (int j = 0; j < widths[s]; j++)
                {
                    stitched[(i * d) + col0 + j] = part[(i * widths[s]) + j];
                }
            }

            col0 += widths[s];
            slices[s].Dispose();
        }

        // Each row is an eigenvector scaled, so its sign is arbitrary: the two eigen-solves see Grams summed in a
        // different order and may pick opposite signs for a direction (seen for the ℓ-th row here). Rows are compared
        // up to sign; everything else must agree.
        var reference = Widen(expected);
        for (int i = 0; i < plan.OutRows; i++)
        {
            var row = stitched.AsSpan(i * d, d);
            double dot = 0;
            for (int j = 0; j < d; j++)
            {
                dot += row[j] * reference[(i * d) + j];
            }

            if (dot < 0)
            {
                for (int j = 0; j < d; j++)
                {
                    row[j] = -row[j];
                }
            }
        }

        double error = RelativeError(stitched, reference);
        Assert.True(error <= 1e-4, $"relative difference {error}");
    }

    [Theory]
    [InlineData(SketchAxis.Rows, MeanMode.Track)]
    [InlineData(SketchAxis.Rows, MeanMode.Centre)]
    [InlineData(SketchAxis.Columns, MeanMode.Track)]
    [InlineData(SketchAxis.Columns, MeanMode.Centre)]
    public void LoraFactoredAppendEqualsAppendingTheMaterialisedUpdate(SketchAxis axis, MeanMode mode)
    {
        const int m = 48, n = 40, r = 4;
        int d = axis == SketchAxis.Rows ? n : m;
        int count = axis == SketchAxis.Rows ? m : n;
        using var factored = new ExactGramSketch(Backend, d, mode);
        using var dense = new ExactGramSketch(Backend, d, mode);
        for (int model = 0; model < 3; model++)
        {
            var lora = new LoraFactors(TestData.Gaussian(30 + model, m * r), TestData.Gaussian(40 + model, r * n), m, r, n, Alpha: 8);
            factored.AppendLora(lora, axis);
            var delta = Reference.Multiply(false, false, m, n, r, Widen(lora.B.Span), r, Widen(lora.A.Span), n);
            var materialised = new float[m * n];
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    float v = (float)(lora.Scale * delta[(i * n) + j]);
                    materialised[axis == SketchAxis.Rows ? (i * n) + j : (j * m) + i] = v;
                }
            }

            dense.AppendRows(materialised, count);
        }

        var gf = new double[d * d];
        var gd = new double[d * d];
        factored.CopyGram(gf);
        dense.CopyGram(gd);
        Assert.True(RelativeError(gf, gd) < 1e-5, $"Gram relative difference {RelativeError(gf, gd)}");
        Assert.Equal(3 * count, factored.RowCount);
        Assert.Equal(3, factored.UnitCount);
        var mf = new double[d];
        var md = new double[d];
        factored.CopyMean(mf);
        dense.CopyMean(md);
        Assert.True(RelativeError(mf, md) < 1e-5);
        Assert.Equal(dense.TotalEnergy, factored.TotalEnergy, dense.TotalEnergy * 1e-5);
    }

    [Fact]
    public void WarmStartNeedsFewerIterationsThanColdStartForTheSameAccuracy()
    {
        const int d = 80, k = 5;
        var options = new BasisOptions { Rank = k, Oversampling = 2, MaxIterations = 300, Tolerance = 1e-7 };
        using var sketch = new FrequentDirectionsSketch(Backend, d, ell: 40, MeanMode.None);
        sketch.AppendRows(TestData.Planted(seed: 25, 600, d, rank: 20, noise: 0.05, decay: 0.93), 600);
        var solver = new SubspaceBasisSolver(Backend);
        var first = solver.Compute(sketch, options);

        sketch.AppendRows(TestData.Planted(seed: 26, 100, d, rank: 20, noise: 0.05, decay: 0.93), 100);
        var cold = solver.Compute(sketch, options);
        var warm = solver.Compute(sketch, options, previous: first);

        Assert.True(cold.Converged && warm.Converged, $"cold {cold.Iterations}, warm {warm.Iterations}");
        // Measured here: warm 42, cold 59 on both CPU backends.
        Assert.True(warm.Iterations <= cold.Iterations - 10, $"warm {warm.Iterations} vs cold {cold.Iterations}");
        Assert.True(SubspaceMetrics.SinThetaMax(warm.Vectors, k, cold.Vectors, k, d) < 1e-5);
        Assert.NotNull(warm.SinThetaToPrevious);
        Assert.Equal(SubspaceMetrics.SinThetaMax(warm.Vectors, k, first.Vectors, k, d), warm.SinThetaToPrevious!.Value, 1e-12);
    }

    [Fact]
    public void EnergyThresholdPicksTheSmallestRankAndReportsTheCap()
    {
        const int n = 400, d = 50;
        var rows = TestData.Planted(seed: 27, n, d, rank: 6, noise: 0.1, decay: 0.6);
        using var sketch = new ExactGramSketch(Backend, d, MeanMode.None);
        sketch.AppendRows(rows, n);
        var (values, _) = Reference.Eigen(Reference.Gram(rows, n, d), d);
        double total = values.Sum();
        int expectedK = 0;
        for (double cumulative = 0; cumulative / total < 0.9;)
        {
            cumulative += values[d - 1 - expectedK++];
        }

        var solver = new SubspaceBasisSolver(Backend);
        var basis = solver.Compute(sketch, new BasisOptions { EnergyThreshold = 0.9, MaxRank = 20 });
        Assert.Equal(expectedK, basis.Rank);
        Assert.False(basis.CapReached);
        Assert.True(basis.ExplainedEnergy >= 0.9);

        var capped = solver.Compute(sketch, new BasisOptions { EnergyThreshold = 0.9999, MaxRank = 2 });
        Assert.Equal(2, capped.Rank);
        Assert.True(capped.CapReached);
    }

    [Fact]
    public void CentredBasisMatchesTheExactCentredScatterInBothMeanModes()
    {
        const int n = 900, d = 60, k = 4;
        var rows = TestData.Planted(seed: 28, n, d, rank: k, noise: 0.02, offset: 25);
        var exact = Reference.TopEigenvectors(Reference.Gram(rows, n, d, centred: true), d, k);
        var solver = new SubspaceBasisSolver(Backend);
        foreach (var mode in new[] { MeanMode.Centre, MeanMode.Track })
        {
            using var sketch = new FrequentDirectionsSketch(Backend, d, ell: 24, mode);
            for (int i = 0; i < n; i += 90)
            {
                sketch.AppendRows(rows.AsSpan(i * d, 90 * d), 90);
            }

            var basis = solver.Compute(sketch, new BasisOptions { Rank = k, Centred = true });
            Assert.True(basis.Centred);
            double sin = SubspaceMetrics.SinThetaMax(basis.Vectors, k, exact, k, d);
            Assert.True(sin <= 1e-3, $"{mode}: sin θ_max = {sin}");
        }
    }

    [Fact]
    public void ProcrustesAlignmentRotatesOntoThePreviousBasis()
    {
        const int n = 500, d = 40, k = 3;
        using var sketch = new ExactGramSketch(Backend, d, MeanMode.None);
        // Nearly equal strengths: the individual eigenvectors are unstable, the subspace is not.
        sketch.AppendRows(TestData.Planted(seed: 29, n, d, rank: k, noise: 0.01, decay: 0.999), n);
        var solver = new SubspaceBasisSolver(Backend);
        var first = solver.Compute(sketch, new BasisOptions { Rank = k });
        sketch.AppendRows(TestData.Planted(seed: 30, n, d, rank: k, noise: 0.01, decay: 0.999), n);
        var aligned = solver.Compute(sketch, new BasisOptions { Rank = k, AlignToPrevious = true }, first);
        var plain = solver.Compute(sketch, new BasisOptions { Rank = k }, first);

        Assert.True(aligned.Aligned);
        Assert.False(plain.Aligned);
        Assert.Equal(plain.SinThetaToPrevious!.Value, aligned.SinThetaToPrevious!.Value, 1e-6);
        double alignedDistance = Reference.FrobeniusNorm(Reference.Subtract(Widen(aligned.Vectors), Widen(first.Vectors)));
        double plainDistance = Reference.FrobeniusNorm(Reference.Subtract(Widen(plain.Vectors), Widen(first.Vectors)));
        Assert.True(alignedDistance <= plainDistance + 1e-9, $"aligned {alignedDistance} vs plain {plainDistance}");
        Assert.True(alignedDistance < 0.05, $"aligned distance {alignedDistance}");
        var gram = Reference.Multiply(false, true, k, k, d, Widen(aligned.Vectors), d, Widen(aligned.Vectors), d);
        Assert.Equal(1.0, gram[0], 1e-5);
        Assert.Equal(0.0, gram[1], 1e-5);
    }

    [Fact]
    public void CompactShrinksEarlyAndKeepsTheGuaranteeAndExactEnergies()
    {
        const int n = 75, d = 32, ell = 8;
        var rows = TestData.Planted(seed: 31, n, d, rank: 5, noise: 0.2, offset: 3);
        using var sketch = new FrequentDirectionsSketch(Backend, d, ell, MeanMode.Track);
        sketch.AppendRows(rows, n);
        Assert.True(sketch.BufferedRows >= ell, $"{sketch.BufferedRows} rows buffered");
        int shrinks = sketch.ShrinkCount;
        sketch.Compact();
        Assert.Equal(shrinks + 1, sketch.ShrinkCount);
        Assert.True(sketch.BufferedRows <= ell);
        AssertFrequentDirectionsGuarantee(Reference.Gram(rows, n, d), Reference.SketchGram(sketch), sketch.Certificate, d, ell);

        double uncentred = Reference.Gram(rows, n, d).Where((_, i) => i % (d + 1) == 0).Sum();
        double centred = Reference.Gram(rows, n, d, centred: true).Where((_, i) => i % (d + 1) == 0).Sum();
        Assert.Equal(uncentred, sketch.Energy(centred: false), uncentred * 1e-9);
        Assert.Equal(centred, sketch.Energy(centred: true), uncentred * 1e-9);
    }

    [Fact]
    public void FrequentDirectionsIsExactWhenTheDataRankIsBelowEll()
    {
        const int n = 300, d = 40, ell = 12;
        var rows = TestData.Planted(seed: 32, n, d, rank: 6, noise: 0);
        using var sketch = new FrequentDirectionsSketch(Backend, d, ell, MeanMode.None);
        sketch.AppendRows(rows, n);
        var ata = Reference.Gram(rows, n, d);
        Assert.True(sketch.ShrinkCount > 0);
        Assert.True(sketch.Certificate <= 1e-6 * sketch.TotalEnergy, $"certificate {sketch.Certificate}");
        Assert.True(RelativeError(Reference.SketchGram(sketch), ata) < 1e-5);
    }

    [Theory]
    [InlineData(8, MeanMode.Centre)]
    [InlineData(13, MeanMode.Centre)]
    [InlineData(24, MeanMode.Centre)]
    [InlineData(16, MeanMode.Centre)]
    [InlineData(16, MeanMode.Track)]
    [InlineData(16, MeanMode.None)]
    public void LoraFactoredAppendIsExactForWideRanks(int r, MeanMode mode)
    {
        // Ranks that fill, overrun and span several of the factor Gram's register tiles; rank 16 uncentred is the
        // factor Gram's own AVX-512 kernel (with the column sums for the tracked mean, or without).
        const int m = 64, n = 72;
        var lora = new LoraFactors(TestData.Gaussian(35 + r, m * r), TestData.Gaussian(36 + r, r * n), m, r, n, Alpha: 2 * r);
        using var factored = new ExactGramSketch(Backend, n, mode);
        factored.AppendLora(lora, SketchAxis.Rows);
        var delta = Reference.Multiply(false, false, m, n, r, Widen(lora.B.Span), r, Widen(lora.A.Span), n);
        var materialised = delta.Select(v => (float)(lora.Scale * v)).ToArray();
        var gram = new double[n * n];
        factored.CopyGram(gram);
        var expected = Reference.Gram(materialised, m, n, centred: mode == MeanMode.Centre);
        Assert.True(RelativeError(gram, expected) < 1e-5, $"Gram relative difference {RelativeError(gram, expected)}");
        double energy = expected.Where((_, i) => i % (n + 1) == 0).Sum();   // trace: centred in Centre mode
        Assert.Equal(energy, factored.TotalEnergy, energy * 1e-5);
        if (mode != MeanMode.None)
        {
            var mean = new double[n];
            factored.CopyMean(mean);
            Assert.True(RelativeError(mean, Reference.Mean(materialised, m, n)) < 1e-5);
        }
    }

    [Fact]
    public void LoraEnergyStaysFiniteWhenOnlyTheFloat32SquaresOverflow()
    {
        // Entries of ~1e20 are finite floats but their squares are not: the energy must come out finite and right.
        const int m = 8, n = 80, r = 4;
        var b = TestData.Gaussian(37, m * r).Select(v => v * 1e10f).ToArray();
        var a = TestData.Gaussian(38, r * n).Select(v => v * 1e10f).ToArray();
        var lora = new LoraFactors(b, a, m, r, n, Alpha: r);
        using var sketch = new FrequentDirectionsSketch(Backend, n, 8, MeanMode.None);
        sketch.AppendLora(lora, SketchAxis.Rows);
        double energy = Reference.Multiply(false, false, m, n, r, Widen(b), r, Widen(a), n).Sum(v => v * v);
        Assert.True(energy > float.MaxValue);
        Assert.Equal(energy, sketch.TotalEnergy, energy * 1e-5);
    }

    [Fact]
    public void LoraAppendHandlesRankDeficientFactors()
    {
        const int m = 30, n = 20, r = 3;
        var b = TestData.Gaussian(33, m * r);
        for (int i = 0; i < m; i++)
        {
            b[(i * r) + 2] = b[(i * r) + 1];   // two equal columns: BᵀB is singular
        }

        var lora = new LoraFactors(b, TestData.Gaussian(34, r * n), m, r, n, Alpha: 6);
        using var factored = new FrequentDirectionsSketch(Backend, n, 8, MeanMode.Track);
        factored.AppendLora(lora, SketchAxis.Rows);
        Assert.Equal(2, factored.BufferedRows);   // only the non-zero directions become rows
        var delta = Reference.Multiply(false, false, m, n, r, Widen(b), r, Widen(lora.A.Span), n);
        var materialised = delta.Select(v => (float)(lora.Scale * v)).ToArray();
        Assert.True(RelativeError(Reference.SketchGram(factored), Reference.Gram(materialised, m, n)) < 1e-5);
        Assert.Equal(m, factored.RowCount);
    }

    private static void AssertFrequentDirectionsGuarantee(double[] ata, double[] btb, double certificate, int d, int ell)
    {
        double scale = ata.Where((_, i) => i % (d + 1) == 0).Sum();
        double tolerance = 1e-5 * scale;
        var diff = Reference.Subtract(ata, btb);
        double error = Reference.SpectralNorm(diff, d);
        Assert.True(certificate > 0);
        Assert.True(error <= certificate + tolerance, $"‖AᵀA − BᵀB‖₂ = {error} > certificate {certificate}");
        Assert.True(Reference.MinEigenvalue(diff, d) >= -tolerance, "BᵀB is not below AᵀA");
        // Each shrink keeps ℓ rows (δ = λ_{ℓ+1}) and so removes ≥ (ℓ + 1)·δ: the bound is ‖A − A_k‖²/(ℓ + 1 − k), k ≤ ℓ.
        for (int k = 0; k <= ell; k++)
        {
            double bound = Reference.TailEnergy(ata, d, k) / (ell + 1 - k);
            Assert.True(certificate <= bound + tolerance, $"k = {k}: certificate {certificate} > ‖A − A_k‖²/(ℓ + 1 − k) = {bound}");
        }
    }
}
