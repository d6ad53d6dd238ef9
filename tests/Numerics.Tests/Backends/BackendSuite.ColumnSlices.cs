using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

/// <summary>Column-sliced Frequent Directions (flattened mode): S slices driven by the coordinated protocol.</summary>
public abstract partial class BackendSuite
{
    private const int SliceEll = 6, SliceDimension = 90;
    private static readonly int[] SliceWidths = [30, 25, 35];

    [Fact]
    public void ColumnSlicesDrivenTogetherEqualSingleNodeFrequentDirections()
    {
        const int n = 50;
        var rows = TestData.Planted(seed: 31, n, SliceDimension, rank: 5, noise: 0.3, offset: 2);
        using var single = new FrequentDirectionsSketch(Backend, SliceDimension, SliceEll, MeanMode.Track);
        var slices = CreateSlices(MeanMode.Track);
        for (int i = 0; i < n; i++)
        {
            single.AppendRows(rows.AsSpan(i * SliceDimension, SliceDimension), 1);
            AppendCoordinated(slices, rows.AsSpan(i * SliceDimension, SliceDimension));
        }

        Assert.True(single.ShrinkCount >= 5, $"only {single.ShrinkCount} shrinks");
        Assert.All(slices, s => Assert.Equal(single.ShrinkCount, s.ShrinkCount));
        Assert.All(slices, s => Assert.Equal(single.BufferedRows, s.BufferedRows));
        Assert.All(slices, s => Assert.Equal(n, s.RowCount));
        Assert.All(slices, s => Assert.Equal(single.Certificate, s.Certificate, single.Certificate * 1e-4));
        Assert.Equal(single.TotalEnergy, slices.Sum(s => s.TotalEnergy), single.TotalEnergy * 1e-9);

        var expected = new float[single.BufferedRows * SliceDimension];
        single.CopyRows(expected);
        double rowsError = RelativeError(Widen(Stitch(slices, s => s.BufferedRows, (s, d) => s.CopyRows(d))), Widen(expected));
        Assert.True(rowsError <= 1e-4, $"stitched rows differ from single-node FD by {rowsError:E2} (relative)");

        var mean = new double[SliceDimension];
        single.CopyMean(mean);
        var stitchedMean = new double[SliceDimension];
        int col0 = 0;
        foreach (var slice in slices)
        {
            slice.CopyMean(stitchedMean.AsSpan(col0, slice.Width));
            col0 += slice.Width;
        }

        Assert.Equal(mean, stitchedMean);
        DisposeAll(slices);
    }

    [Fact]
    public void ColumnSlicedBasisEqualsTheSingleNodeSketchBasisWithFixedSignsAndAngles()
    {
        const int k = 4;
        var rows = TestData.Planted(seed: 32, 40, SliceDimension, rank: 5, noise: 0.2);
        using var single = new FrequentDirectionsSketch(Backend, SliceDimension, SliceEll, MeanMode.None);
        var slices = CreateSlices(MeanMode.None);
        float[]? earlier = null;
        for (int i = 0; i < 40; i++)
        {
            single.AppendRows(rows.AsSpan(i * SliceDimension, SliceDimension), 1);
            AppendCoordinated(slices, rows.AsSpan(i * SliceDimension, SliceDimension));
            if (i == 24)
            {
                earlier = SlicedBasis(slices, k, out _);
            }
        }

        var basis = SlicedBasis(slices, k, out var plan);
        var sketchGram = Reference.SketchGram(single);
        var (values, _) = Reference.Eigen(sketchGram, SliceDimension);
        var exact = Reference.TopEigenvectors(sketchGram, SliceDimension, k);
        Assert.True(SubspaceMetrics.SinThetaMax(basis, k, exact, k, SliceDimension) <= 1e-4);
        for (int i = 0; i < k; i++)
        {
            Assert.Equal(Math.Sqrt(values[SliceDimension - 1 - i]), plan.SingularValues[i], plan.SingularValues[0] * 1e-4);
            var row = basis.AsSpan(i * SliceDimension, SliceDimension);
            Assert.Equal(1.0, Math.Sqrt(row.ToArray().Sum(v => (double)v * v)), 1e-5);
            int peak = 0;
            for (int c = 1; c < SliceDimension; c++)
            {
                peak = Math.Abs(row[c]) > Math.Abs(row[peak]) ? c : peak;
            }

            Assert.True(row[peak] > 0, $"vector {i}: largest entry {row[peak]} is not positive");
        }

        // sin θ from the per-slice k×k products equals the one from the assembled vectors.
        var uu = new double[k * k];
        var uv = new double[k * k];
        var vv = new double[k * k];
        int col0 = 0;
        foreach (int w in SliceWidths)
        {
            var a = Columns(basis, k, col0, w);
            var b = Columns(earlier!, k, col0, w);
            ColumnSlicedBasis.AccumulateCross(a, k, a, k, w, uu);
            ColumnSlicedBasis.AccumulateCross(a, k, b, k, w, uv);
            ColumnSlicedBasis.AccumulateCross(b, k, b, k, w, vv);
            col0 += w;
        }

        double fromParts = ColumnSlicedBasis.SinThetaMax(Backend, uu, k, uv, k, vv);
        double assembled = SubspaceMetrics.SinThetaMax(basis, k, earlier!, k, SliceDimension);
        Assert.True(assembled > 1e-3, $"the two versions should differ (sin θ = {assembled})");
        Assert.Equal(assembled, fromParts, 1e-6);
        DisposeAll(slices);
    }

    [Fact]
    public void ColumnSliceSerialisesBitExactlyAndRejectsBadInputUnchanged()
    {
        var slice = new ColumnSliceSketch(Backend, 12, 3, MeanMode.Track);
        var rows = TestData.Gaussian(33, 6 * 12);
        for (int i = 0; i < 6; i++)
        {
            slice.AppendRow(rows.AsSpan(i * 12, 12));
        }

        var blob = slice.Serialize();
        using (var copy = ColumnSliceSketch.Deserialize(blob, Backend))
        {
            Assert.Equal(blob, copy.Serialize());
        }

        var bad = rows.AsSpan(0, 12).ToArray();
        bad[5] = float.NaN;
        Assert.Contains("column 5", Assert.Throws<ArgumentException>(() => slice.AppendRow(bad)).Message);
        Assert.Contains("full", Assert.Throws<InvalidOperationException>(() => slice.AppendRow(rows.AsSpan(0, 12))).Message);
        var wrongPlan = new ShrinkPlan(new float[4 * 5], 5, 4, 0.1);
        Assert.Contains("holds 6 rows", Assert.Throws<ArgumentException>(() => slice.ApplyShrink(wrongPlan)).Message);
        Assert.Equal(blob, slice.Serialize());

        Assert.Contains("column slice", Assert.Throws<SketchFormatException>(() => SketchSerializer.Deserialize(blob, Backend)).Message);
        using var fd = new FrequentDirectionsSketch(Backend, 12, 3, MeanMode.Track);
        fd.AppendRows(rows, 6);
        Assert.Contains("not a column slice", Assert.Throws<SketchFormatException>(() => ColumnSliceSketch.Deserialize(fd.Serialize(), Backend)).Message);
        var corrupt = (byte[])blob.Clone();
        corrupt[SketchSerializer.HeaderLength + 3] ^= 0x40;
        Assert.Contains("checksum", Assert.Throws<SketchFormatException>(() => ColumnSliceSketch.Deserialize(corrupt, Backend)).Message);
        Assert.Throws<ArgumentException>(() => new ColumnSliceSketch(Backend, 12, 3, MeanMode.Centre));
        slice.Dispose();
    }

    private List<ColumnSliceSketch> CreateSlices(MeanMode meanMode) =>
        SliceWidths.Select(w => new ColumnSliceSketch(Backend, w, SliceEll, meanMode)).ToList();

    /// <summary>The owner's protocol: the row's column parts go to every slice; a full buffer shrinks by one plan from the summed Grams.</summary>
    private void AppendCoordinated(List<ColumnSliceSketch> slices, ReadOnlySpan<float> row)
    {
        int col0 = 0;
        foreach (var slice in slices)
        {
            slice.AppendRow(row.Slice(col0, slice.Width));
            col0 += slice.Width;
        }

        if (slices[0].IsFull)
        {
            int r = slices[0].BufferedRows;
            var plan = FrequentDirectionsShrink.Plan(Backend, SummedGram(slices), r, SliceEll);
            slices.ForEach(s => s.ApplyShrink(plan));
        }
    }

    private static double[] SummedGram(List<ColumnSliceSketch> slices)
    {
        int r = slices[0].BufferedRows;
        var summed = new double[r * r];
        var part = new double[r * r];
        foreach (var slice in slices)
        {
            slice.Gram(part);
            for (int i = 0; i < summed.Length; i++)
            {
                summed[i] += part[i];
            }
        }

        return summed;
    }

    /// <summary>The distributed basis, assembled, with the sign rule applied from the per-slice peaks.</summary>
    private float[] SlicedBasis(List<ColumnSliceSketch> slices, int k, out ColumnSliceBasisPlan plan)
    {
        double energy = slices.Sum(s => s.TotalEnergy);
        var basisPlan = plan = ColumnSlicedBasis.Plan(Backend, SummedGram(slices), slices[0].BufferedRows, energy, k, 0.9, k);
        var basis = Stitch(slices, _ => k, (s, d) => s.Project(basisPlan.Coefficients, k, d));
        var peakValues = new float[k];
        var peakColumns = new int[k];
        var best = new float[k];
        int col0 = 0;
        foreach (var slice in slices)
        {
            ColumnSlicedBasis.Peaks(Columns(basis, k, col0, slice.Width), k, slice.Width, peakValues, peakColumns);
            for (int i = 0; i < k; i++)
            {
                best[i] = Math.Abs(peakValues[i]) > Math.Abs(best[i]) ? peakValues[i] : best[i];
            }

            col0 += slice.Width;
        }

        for (int i = 0; i < k; i++)
        {
            if (best[i] < 0)
            {
                basis.AsSpan(i * SliceDimension, SliceDimension).ToArray().Select(v => -v).ToArray().CopyTo(basis.AsSpan(i * SliceDimension));
            }
        }

        return basis;
    }

    /// <summary>Concatenates, per row, the slices' column parts (rows × width each) into rows of the full dimension.</summary>
    private static float[] Stitch(List<ColumnSliceSketch> slices, Func<ColumnSliceSketch, int> rowCount, Action<ColumnSliceSketch, float[]> copy)
    {
        int rowsOut = rowCount(slices[0]);
        var stitched = new float[rowsOut * SliceDimension];
        int col0 = 0;
        foreach (var slice in slices)
        {
            var part = new float[rowsOut * slice.Width];
            copy(slice, part);
            for (int i = 0; i < rowsOut; i++)
            {
                part.AsSpan(i * slice.Width, slice.Width).CopyTo(stitched.AsSpan((i * SliceDimension) + col0));
            }

            col0 += slice.Width;
        }

        return stitched;
    }

    private static float[] Columns(float[] rows, int k, int col0, int width)
    {
        var part = new float[k * width];
        for (int i = 0; i < k; i++)
        {
            rows.AsSpan((i * SliceDimension) + col0, width).CopyTo(part.AsSpan(i * width));
        }

        return part;
    }

    private static void DisposeAll(List<ColumnSliceSketch> slices) => slices.ForEach(s => s.Dispose());
}
