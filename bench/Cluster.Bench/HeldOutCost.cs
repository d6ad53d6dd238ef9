using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Hosting;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Cluster.Bench;

/// <summary>
/// What the streaming held-out capture costs a slice against the absorb itself: per model, the time to append a layer
/// to its sketch (Frequent Directions, ℓ = 32) and the time to measure it against a k-vector basis first
/// (<see cref="HeldOutMeter"/>), for a Mistral-7B-shaped LoRA layer (4096×4096, r = 16) in both modes and a dense
/// ViT-B layer (768×768). For LoRA also what the slice pays on its path (<see cref="HeldOutMeter.AppendLora"/>, an
/// uncentred basis): the product of the ≤ r rows the sketch forms for the update with the basis
/// (<see cref="CapturedEnergy.OfCovarianceRows"/>), timed on r×d rows. Seeded random data; prints one line per case.
/// </summary>
public static class HeldOutCost
{
    /// <summary>Runs the cases with <paramref name="models"/> models each; returns 0.</summary>
    public static int Run(int models, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var services = new ServiceCollection().AddUwsNumerics().BuildServiceProvider();
        var factory = services.GetRequiredService<CovarianceSketchFactory>();
        output.WriteLine($"held-out capture cost, BLAS backend {factory.Backend.Name}, {models} models per case, FD ℓ = 32");
        output.WriteLine("case                                  absorb ms/model  measure ms/model  share   from formed rows ms/model  share");
        var random = new Random(3);
        foreach (var (axis, k) in new[] { (SketchAxis.Rows, 8), (SketchAxis.Columns, 8), (SketchAxis.Rows, 32), (SketchAxis.Columns, 32) })
        {
            const int m = 4096, n = 4096, r = 16;
            var updates = Enumerable.Range(0, models).Select(_ => new LoraFactors(Gaussian(random, m * r), Gaussian(random, r * n), m, r, n, 32)).ToArray();
            Report(output, $"LoRA 4096×4096 r=16 {Name(axis)}, k={k}", models, factory, axis == SketchAxis.Rows ? n : m, k, random,
                sketch => Array.ForEach(updates, u => sketch.AppendLora(u, axis)),
                meter => Array.ForEach(updates, u => meter.MeasureLora(u, axis)),
                formedRows: r);
        }

        foreach (var k in new[] { 8, 32 })
        {
            const int d = 768;
            var rows = Enumerable.Range(0, models).Select(_ => Gaussian(random, d * d)).ToArray();
            Report(output, $"dense 768×768 rows, k={k}", models, factory, d, k, random,
                sketch => Array.ForEach(rows, x => sketch.AppendRows(x, d)),
                meter => Array.ForEach(rows, x => meter.MeasureDense(x, d)));
        }

        return 0;
    }

    private static void Report(TextWriter output, string name, int models, CovarianceSketchFactory factory, int d, int k, Random random,
        Action<ICovarianceSketch> absorb, Action<HeldOutMeter> measure, int formedRows = 0)
    {
        using var sketch = factory.Create(new SketchOptions(SketchKind.FrequentDirections, d, 32, MeanMode.Track));
        var meter = new HeldOutMeter(factory.Backend);
        var info = new BasisVersionInfo("bench", "l", SketchMode.Rows, 1, 1, 1, k, false, 1, 0, null, false, TimeSpan.Zero, DateTimeOffset.UnixEpoch, BasisTrigger.OnDemand);
        var vectors = Orthonormalish(random, k, d);
        meter.Use(new LayerBasis(info, d, vectors, new double[k], null));
        absorb(sketch); // warm-up: first shrink, JIT
        measure(meter);
        var absorbTime = Stopwatch.StartNew();
        absorb(sketch);
        absorbTime.Stop();
        var measureTime = Stopwatch.StartNew();
        measure(meter);
        measureTime.Stop();
        int count = models;
        double a = absorbTime.Elapsed.TotalMilliseconds / count, mm = measureTime.Elapsed.TotalMilliseconds / count;
        string fromRows = string.Empty;
        if (formedRows > 0)
        {
            var rows = Enumerable.Range(0, models).Select(_ => Gaussian(random, formedRows * d)).ToArray();
            Action measureRows = () => Array.ForEach(rows, x => CapturedEnergy.OfCovarianceRows(x, formedRows, 1, vectors, k, d));
            measureRows();
            var rowsTime = Stopwatch.StartNew();
            measureRows();
            double f = rowsTime.Elapsed.TotalMilliseconds / count;
            fromRows = string.Create(CultureInfo.InvariantCulture, $"{f,27:F3}  {f / a,6:P1}");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-38}{a,15:F2}{mm,18:F3}  {mm / a,6:P1}{fromRows}"));
    }

    private static string Name(SketchAxis axis) => axis == SketchAxis.Rows ? "rows" : "columns";

    private static float[] Gaussian(Random random, int count) => Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();

    /// <summary>Unit rows (the cost does not depend on orthogonality).</summary>
    private static float[] Orthonormalish(Random random, int k, int d)
    {
        var v = Gaussian(random, k * d);
        for (int i = 0; i < k; i++)
        {
            var row = v.AsSpan(i * d, d);
            double norm = 0;
            foreach (var x in row)
            {
                norm += x * x;
            }

            foreach (ref var x in row)
            {
                x = (float)(x / Math.Sqrt(norm));
            }
        }

        return v;
    }
}
