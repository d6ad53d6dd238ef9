using System.Diagnostics;
using System.Globalization;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Admission;
using OrleansUws.ModelFormats.Fleets;

namespace OrleansUws.Ingestion.Bench;

/// <summary>
/// What admission adds per model: the content hash and the full check (every layer read, checked and normed) next to a
/// plain read of the same factors, on Mistral-shaped adapters (q/k/v/o of <c>layers</c> decoder layers, r = 16). The
/// reader is opened once per model; figures are medians over the models after one warm-up pass.
/// </summary>
public static class AdmissionCost
{
    /// <summary>Generates <paramref name="models"/> adapters, measures, prints one table; returns the exit code.</summary>
    public static int Run(int models, int layers, TextWriter output)
    {
        var folder = Path.Combine(Path.GetTempPath(), "uws-admission-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            new FleetGenerator(FleetPresets.Create(FleetPresets.Mistral7BLora, models, layers) with { Seed = 1 }).Generate(folder);
            var paths = ModelReader.EnumerateModels(folder);
            var hash = new List<double>();
            var check = new List<double>();
            var read = new List<double>();
            for (var pass = 0; pass < 2; pass++)
            {
                foreach (var path in paths)
                {
                    var stopwatch = Stopwatch.StartNew();
                    ModelAdmission.ContentHash(path);
                    var hashMs = stopwatch.Elapsed.TotalMilliseconds;
                    using var reader = ModelReader.Open(path);
                    stopwatch.Restart();
                    ModelAdmission.Check(reader, fleet: null);
                    var checkMs = stopwatch.Elapsed.TotalMilliseconds;
                    stopwatch.Restart();
                    foreach (var layer in reader.Layers)
                    {
                        reader.ReadLoraFactors(layer.LayerId, new float[layer.Rank * layer.InFeatures], new float[layer.OutFeatures * layer.Rank]);
                    }

                    var readMs = stopwatch.Elapsed.TotalMilliseconds;
                    if (pass == 1)
                    {
                        hash.Add(hashMs);
                        check.Add(checkMs);
                        read.Add(readMs);
                    }
                }
            }

            var bytes = Directory.GetFiles(paths[0]).Sum(f => new FileInfo(f).Length);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{paths.Count} Mistral-shaped adapters, {layers * 4} layers, {bytes / 1e6:F1} MB each; medians: content hash {Median(hash):F1} ms, admission check {Median(check):F1} ms, plain factor read {Median(read):F1} ms"));
            return 0;
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
