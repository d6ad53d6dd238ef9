using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;
using OrleansUws.Numerics.Tests.Support;
using Xunit;

namespace OrleansUws.Numerics.Tests.Metrics;

public sealed class CapturedEnergyTests
{
    /// <summary>
    /// Wide layers (d not a multiple of the kernels' 16-float steps), a LoRA rank of 16 (the kernels' own path) and an odd
    /// one, both axes, with and without a mean: the factored measurement equals ‖(X − 1μᵀ)Vᵀ‖² and ‖X − 1μᵀ‖² of the formed
    /// ΔW in float64, and the dense measurement of the same samples equals both.
    /// </summary>
    [Theory]
    [InlineData(SketchAxis.Rows, 16, false)]
    [InlineData(SketchAxis.Rows, 16, true)]
    [InlineData(SketchAxis.Columns, 16, false)]
    [InlineData(SketchAxis.Columns, 16, true)]
    [InlineData(SketchAxis.Rows, 5, true)]
    [InlineData(SketchAxis.Columns, 7, false)]
    public void FactoredAndDenseMeasurementsEqualTheFormedUpdateInFloat64(SketchAxis axis, int r, bool centred)
    {
        const int m = 300, n = 2_061, k = 9;
        var lora = new LoraFactors(TestData.Gaussian(1, m * r), TestData.Gaussian(2, r * n, 0.1), m, r, n, Alpha: 2 * r);
        int d = axis == SketchAxis.Rows ? n : m, count = axis == SketchAxis.Rows ? m : n;
        var vectors = Array.ConvertAll(TestData.OrthonormalRows(3, k, d), v => (float)v);
        var mean = centred ? TestData.Gaussian(4, d, 0.05) : [];
        var samples = Samples(lora, axis);
        var (captured, energy) = Reference(samples, count, d, vectors, k, mean);

        var factored = CapturedEnergy.OfLora(new ManagedBlasBackend(), lora, axis, vectors, k, mean);
        var dense = CapturedEnergy.OfRows(new ManagedBlasBackend(), Array.ConvertAll(samples, v => (float)v), count, vectors, k, d, mean);

        Assert.InRange(captured / energy, 0.001, 0.999); // the basis captures some of the update, not all
        Assert.Equal(energy, factored.Energy, 1e-6 * energy);
        Assert.Equal(captured, factored.Captured, 1e-6 * energy);
        Assert.Equal(energy, dense.Energy, 1e-6 * energy);
        Assert.Equal(captured, dense.Captured, 1e-6 * energy);
    }

    /// <summary>
    /// Every sketch kind that forms rows for a LoRA update hands them to the caller with its energy, and a basis measures
    /// on them what it measures on the formed ΔW in float64 (their Gram is the update's covariance); the sketch keeps
    /// exactly what a plain append keeps. A sketch that centres batches hands nothing (its rows are centred).
    /// </summary>
    [Theory]
    [InlineData(SketchKind.FrequentDirections, SketchAxis.Rows, MeanMode.Track)]
    [InlineData(SketchKind.FrequentDirections, SketchAxis.Columns, MeanMode.None)]
    [InlineData(SketchKind.ExactGram, SketchAxis.Rows, MeanMode.None)]
    [InlineData(SketchKind.Nystrom, SketchAxis.Columns, MeanMode.Track)]
    public void RowsFormedByAnAppendMeasureTheUpdateAsTheFormedUpdateDoes(SketchKind kind, SketchAxis axis, MeanMode meanMode)
    {
        const int m = 120, r = 16, n = 333, k = 7;
        var lora = new LoraFactors(TestData.Gaussian(11, m * r), TestData.Gaussian(12, r * n, 0.1), m, r, n, Alpha: 32);
        int d = axis == SketchAxis.Rows ? n : m, count = axis == SketchAxis.Rows ? m : n;
        var vectors = Array.ConvertAll(TestData.OrthonormalRows(13, k, d), v => (float)v);
        var (captured, energy) = Reference(Samples(lora, axis), count, d, vectors, k, []);
        var factory = new CovarianceSketchFactory(new ManagedBlasBackend());
        var options = new SketchOptions(kind, d, 24, meanMode);
        using var plain = factory.Create(options);
        using var handing = factory.Create(options);
        plain.AppendLora(lora, axis);

        int calls = 0, handed = 0;
        EnergySplit split = default;
        handing.AppendLora(lora, axis, (rows, formed, formedEnergy) =>
        {
            calls++;
            handed = formed;
            split = CapturedEnergy.OfCovarianceRows(rows, formed, formedEnergy, vectors, k, d);
        });

        Assert.Equal(1, calls);
        Assert.Equal(r, handed);
        Assert.InRange(captured / energy, 0.001, 0.999);
        Assert.Equal(energy, split.Energy, 1e-5 * energy);
        Assert.Equal(captured, split.Captured, 1e-5 * energy);
        Assert.Equal(plain.Serialize(), handing.Serialize());

        using var centring = factory.Create(options with { MeanMode = MeanMode.Centre });
        centring.AppendLora(lora, axis, (_, _, _) => calls++);
        Assert.Equal(1, calls);
        Assert.Equal(1, centring.UnitCount);
    }

    [Fact]
    public void ShapesThatDisagreeAreNamed()
    {
        var lora = new LoraFactors(new float[10 * 2], new float[2 * 12], 10, 2, 12, Alpha: 2);
        var basis = new float[3 * 12];
        Assert.Equal("vectors", Assert.Throws<ArgumentException>(() => CapturedEnergy.OfLora(new ManagedBlasBackend(), lora, SketchAxis.Rows, basis, 4)).ParamName);
        Assert.Equal("mean", Assert.Throws<ArgumentException>(() => CapturedEnergy.OfLora(new ManagedBlasBackend(), lora, SketchAxis.Rows, basis, 3, new float[11])).ParamName);
        Assert.Equal("lora.A", Assert.Throws<ArgumentException>(() => CapturedEnergy.OfLora(new ManagedBlasBackend(), lora with { A = new float[23] }, SketchAxis.Rows, basis, 3)).ParamName);
        Assert.Equal("samples", Assert.Throws<ArgumentException>(() => CapturedEnergy.OfRows(new ManagedBlasBackend(), new float[35], 3, basis, 3, 12)).ParamName);
        Assert.Equal("rows", Assert.Throws<ArgumentException>(() => CapturedEnergy.OfCovarianceRows(new float[35], 3, 1, basis, 3, 12)).ParamName);
        Assert.Equal("energy", Assert.Throws<ArgumentException>(() => CapturedEnergy.OfCovarianceRows(new float[36], 3, double.NaN, basis, 3, 12)).ParamName);
    }

    /// <summary>The rows of ΔW = s·B·A (rows axis) or of ΔWᵀ (columns axis), formed in float64.</summary>
    private static double[] Samples(LoraFactors lora, SketchAxis axis)
    {
        int m = lora.OutFeatures, r = lora.Rank, n = lora.InFeatures;
        var a = lora.A.ToArray();
        var b = lora.B.ToArray();
        var samples = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < r; p++)
                {
                    sum += (double)b[(i * r) + p] * a[(p * n) + j];
                }

                samples[axis == SketchAxis.Rows ? (i * n) + j : (j * m) + i] = lora.Scale * sum;
            }
        }

        return samples;
    }

    private static (double Captured, double Energy) Reference(double[] samples, int count, int d, float[] vectors, int k, float[] mean)
    {
        double captured = 0, energy = 0;
        var row = new double[d];
        for (int i = 0; i < count; i++)
        {
            for (int j = 0; j < d; j++)
            {
                row[j] = samples[(i * d) + j] - (mean.Length > 0 ? mean[j] : 0);
                energy += row[j] * row[j];
            }

            for (int c = 0; c < k; c++)
            {
                double dot = 0;
                for (int j = 0; j < d; j++)
                {
                    dot += row[j] * vectors[(c * d) + j];
                }

                captured += dot * dot;
            }
        }

        return (captured, energy);
    }
}
