using System.Diagnostics;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Cluster.Bench;

/// <summary>
/// The CPU cost of one layer's basis version as a coordinator computes it, without Orleans: the first layer of the
/// fleet absorbed by two slice sketches (models alternating, as <c>UwsKeys.SliceOf</c> spreads them), then a version
/// computed the way the coordinator does (<see cref="MergedSketch"/> from the slices' blobs) and the way it used to
/// (deserialize, merge, warm-started subspace iteration). Medians over repetitions.
/// </summary>
/// <param name="factory">Sketch factory on the selected BLAS backend.</param>
/// <param name="solver">Basis solver on the same backend.</param>
public sealed class VersionCost(CovarianceSketchFactory factory, SubspaceBasisSolver solver)
{
    /// <summary>Median milliseconds per version: (from summaries, rebuilt and iterated), and the layer measured.</summary>
    public (double Summaries, double Rebuilt, string Layer) Measure(IReadOnlyList<ModelSource> models, SketchSettings sketch, BasisPolicy policy, int repetitions = 20)
    {
        ArgumentNullException.ThrowIfNull(models);
        using var first = ModelReader.Open(models[0].Location);
        var layer = first.Layers[0];
        var slices = new[]
        {
            factory.Create(new SketchOptions(SketchKind.FrequentDirections, layer.InFeatures, sketch.SketchRows, MeanMode.Track)),
            factory.Create(new SketchOptions(SketchKind.FrequentDirections, layer.InFeatures, sketch.SketchRows, MeanMode.Track)),
        };
        try
        {
            for (int i = 0; i < models.Count; i++)
            {
                using var reader = ModelReader.Open(models[i].Location);
                var a = new float[layer.Rank * layer.InFeatures];
                var b = new float[layer.OutFeatures * layer.Rank];
                var scaling = reader.ReadLoraFactors(layer.LayerId, a, b);
                slices[i % 2].AppendLora(new LoraFactors(b, a, layer.OutFeatures, layer.Rank, layer.InFeatures, (float)(scaling * layer.Rank)), SketchAxis.Rows);
            }

            var blobs = slices.Select(s => s.Serialize()).ToArray();
            var options = policy.ToBasisOptions(centred: false) with { AlignToPrevious = true };
            SubspaceBasis previous;
            using (var start = Rebuild(blobs))
            {
                previous = solver.Compute(start, options);
            }

            var summaries = new List<double>();
            var rebuilt = new List<double>();
            for (int r = 0; r < repetitions; r++)
            {
                var watch = Stopwatch.StartNew();
                var merged = new MergedSketch(factory, solver, blobs.Length);
                for (int s = 0; s < blobs.Length; s++)
                {
                    merged.Set(s, SketchSummary.Read(blobs[s]));
                }

                merged.ComputeBasis(options, previous);
                summaries.Add(watch.Elapsed.TotalMilliseconds);
                watch.Restart();
                using (var sketchOfAll = Rebuild(blobs))
                {
                    solver.Compute(sketchOfAll, options, previous);
                }

                rebuilt.Add(watch.Elapsed.TotalMilliseconds);
            }

            return (Medians.Of(summaries), Medians.Of(rebuilt), layer.LayerId);
        }
        finally
        {
            foreach (var s in slices)
            {
                s.Dispose();
            }
        }
    }

    private ICovarianceSketch Rebuild(byte[][] blobs)
    {
        var merged = factory.Deserialize(blobs[0]);
        foreach (var blob in blobs.Skip(1))
        {
            using var part = factory.Deserialize(blob);
            merged.Merge(part);
        }

        return merged;
    }
}
