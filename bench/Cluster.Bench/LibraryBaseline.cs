using System.Diagnostics;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Cluster.Bench;

/// <summary>
/// The numerics library alone on the same fleet and settings as the cluster: for every model, open it with
/// the formats reader, append each layer's LoRA update to that layer's sketch (layers in parallel), then
/// compute every layer's basis. No Orleans, no messages: the throughput the cluster is compared with.
/// </summary>
/// <param name="factory">Sketch factory on the selected BLAS backend.</param>
/// <param name="solver">Basis solver on the same backend.</param>
public sealed class LibraryBaseline(CovarianceSketchFactory factory, SubspaceBasisSolver solver)
{
    /// <summary>Ingests <paramref name="models"/> and computes the bases; returns the timings.</summary>
    public PhaseTimings Run(IReadOnlyList<ModelSource> models, SketchSettings sketch, BasisPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(models);
        var sketches = new Dictionary<string, ICovarianceSketch>(StringComparer.Ordinal);
        try
        {
            var cpu = PhaseTimings.ProcessCpu();
            var ingest = Stopwatch.StartNew();
            foreach (var model in models)
            {
                using var reader = ModelReader.Open(model.Location);
                foreach (var layer in reader.Layers.Where(l => !sketches.ContainsKey(l.LayerId)))
                {
                    var kind = layer.InFeatures <= sketch.ExactGramMaxDimension ? SketchKind.ExactGram : SketchKind.FrequentDirections;
                    sketches[layer.LayerId] = factory.Create(new SketchOptions(kind, layer.InFeatures, sketch.SketchRows, MeanMode.Track));
                }

                Parallel.ForEach(reader.Layers, layer =>
                {
                    var a = new float[layer.Rank * layer.InFeatures];
                    var b = new float[layer.OutFeatures * layer.Rank];
                    var scaling = reader.ReadLoraFactors(layer.LayerId, a, b);
                    var lora = new LoraFactors(b, a, layer.OutFeatures, layer.Rank, layer.InFeatures, (float)(scaling * layer.Rank));
                    sketches[layer.LayerId].AppendLora(lora, SketchAxis.Rows);
                });
            }

            ingest.Stop();
            cpu = PhaseTimings.ProcessCpu() - cpu;
            var basis = Stopwatch.StartNew();
            var options = policy.ToBasisOptions(centred: false);
            Parallel.ForEach(sketches.Values, s => solver.Compute(s, options));
            basis.Stop();
            return new PhaseTimings(models.Count, ingest.Elapsed, basis.Elapsed, cpu);
        }
        finally
        {
            foreach (var s in sketches.Values)
            {
                s.Dispose();
            }
        }
    }
}
