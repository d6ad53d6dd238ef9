using System.Diagnostics;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Numerics.Bench;

/// <summary>
/// Absorbs T planted adapters into a Frequent Directions sketch (rows mode) and computes the basis, timing each part.
/// With one lane the models go into one sketch; with P lanes into a <see cref="ParallelSketchAbsorber"/> (P sketches
/// on P threads, merged at the end — the merge is timed with the absorption). Models are generated in batches
/// outside the timed sections.
/// </summary>
internal static class FleetRun
{
    /// <summary>Models generated per lane between timed absorption calls.</summary>
    public const int ModelsPerLane = 16;

    public sealed record Result(
        int Lanes, int Models, double AbsorbSeconds, double AbsorbCpuSeconds, double BasisSeconds, double GenerateSeconds, long Flops, int Shrinks,
        SubspaceBasis Basis, double SinToPlanted, long PeakWorkingSet, long ManagedHeap)
    {
        /// <summary>Absorption times of every repetition of this configuration, this run's included (ascending).</summary>
        public IReadOnlyList<double> AbsorbTimes { get; init; } = [AbsorbSeconds];

        /// <summary>The median of <see cref="AbsorbTimes"/>.</summary>
        public double MedianAbsorbSeconds => AbsorbTimes[AbsorbTimes.Count / 2];
    }

    /// <summary>
    /// Runs one configuration <paramref name="repeat"/> times (<paramref name="run"/> gets the repetition index) and
    /// returns the fastest absorption, carrying all the times: the development machines are shared, so the best of a
    /// few runs is the figure least disturbed by other tenants, and the median shows the spread.
    /// </summary>
    public static Result Best(int repeat, Func<int, Result> run)
    {
        var results = Enumerable.Range(0, repeat).Select(run).ToList();
        var times = results.Select(r => r.AbsorbSeconds).Order().ToArray();
        return results.MinBy(r => r.AbsorbSeconds)! with { AbsorbTimes = times };
    }

    public static Result Run(IBlasBackend backend, PlantedFleet fleet, int models, int ell, int k, int lanes, SubspaceBasis? previous = null,
        Action<int, LoraFactors>? observe = null)
    {
        // Earlier runs' model buffers (16 MB per run, large-object heap) are garbage by now: collect them first so that
        // the peak working set reported below is this run's, not the sum of the repetitions' leftovers.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var options = new SketchOptions(SketchKind.FrequentDirections, fleet.InFeatures, ell, MeanMode.Track);
        var factory = new CovarianceSketchFactory(backend);
        using var absorber = lanes > 1 ? new ParallelSketchAbsorber(factory, options, lanes) : null;
        using var single = lanes > 1 ? null : factory.Create(options);
        // 16 models per lane per call: each ParallelSketchAbsorber call ends with a barrier, and with 4 per lane (one
        // shrink's worth) the lanes sat idle 12–15 % of the time waiting for each other and for the pool thread to wake.
        int batchSize = ModelsPerLane * lanes;
        var buffers = Enumerable.Range(0, batchSize).Select(_ => (B: new float[fleet.OutFeatures * fleet.Rank], A: new float[fleet.Rank * fleet.InFeatures])).ToArray();
        var batch = new List<LoraFactors>(batchSize);
        var absorb = new Stopwatch();
        var generate = new Stopwatch();
        using var self = Process.GetCurrentProcess();
        var cpu = TimeSpan.Zero;
        for (int start = 0; start < models; start += batchSize)
        {
            generate.Start();
            batch.Clear();
            for (int t = start; t < Math.Min(models, start + batchSize); t++)
            {
                var (b, a) = buffers[t - start];
                var lora = fleet.Model(backend, t, b, a);
                observe?.Invoke(t, lora);
                batch.Add(lora);
            }

            generate.Stop();
            self.Refresh();
            var cpuBefore = self.TotalProcessorTime;
            absorb.Start();
            if (absorber is not null)
            {
                absorber.AppendLora(batch, SketchAxis.Rows);
            }
            else
            {
                foreach (var lora in batch)
                {
                    single!.AppendLora(lora, SketchAxis.Rows);
                }
            }

            absorb.Stop();
            self.Refresh();
            cpu += self.TotalProcessorTime - cpuBefore;
        }

        absorb.Start();
        using var merged = absorber?.Complete();
        absorb.Stop();
        var sketch = (FrequentDirectionsSketch)(merged ?? single!);

        var basisTimer = Stopwatch.StartNew();
        var basis = new SubspaceBasisSolver(backend).Compute(sketch, new BasisOptions { Rank = k }, previous);
        basisTimer.Stop();

        long d = fleet.InFeatures, r = fleet.Rank, twoEll = 2L * ell;
        long perShrink = (twoEll * twoEll * d) + (2L * ell * twoEll * d);
        long perModel = (r * r * fleet.OutFeatures) + (2 * r * r * d);
        long flops = (sketch.ShrinkCount * perShrink) + (models * perModel);
        double sin = SubspaceMetrics.SinThetaMax(basis.Vectors, k, fleet.Universal, fleet.Rank, fleet.InFeatures);
        self.Refresh();
        return new Result(lanes, models, absorb.Elapsed.TotalSeconds, cpu.TotalSeconds, basisTimer.Elapsed.TotalSeconds, generate.Elapsed.TotalSeconds, flops,
            sketch.ShrinkCount, basis, sin, self.PeakWorkingSet64, GC.GetTotalMemory(false));
    }
}
