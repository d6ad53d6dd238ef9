using System.Diagnostics;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Numerics.Bench;

/// <summary>Absorbs T planted adapters into a Frequent Directions sketch (rows mode) and computes the basis, timing each part.</summary>
internal static class FleetRun
{
    public sealed record Result(
        int Models, double AbsorbSeconds, double AbsorbCpuSeconds, double BasisSeconds, double GenerateSeconds, long Flops, int Shrinks,
        SubspaceBasis Basis, double SinToPlanted, long PeakWorkingSet, long ManagedHeap);

    public static Result Run(IBlasBackend backend, PlantedFleet fleet, int models, int ell, int k, SubspaceBasis? previous = null,
        Action<int, LoraFactors>? observe = null)
    {
        using var sketch = new FrequentDirectionsSketch(backend, fleet.InFeatures, ell, MeanMode.Track);
        var b = new float[fleet.OutFeatures * fleet.Rank];
        var a = new float[fleet.Rank * fleet.InFeatures];
        var absorb = new Stopwatch();
        var generate = new Stopwatch();
        using var self = Process.GetCurrentProcess();
        var cpu = TimeSpan.Zero;
        for (int t = 0; t < models; t++)
        {
            generate.Start();
            var lora = fleet.Model(backend, t, b, a);
            generate.Stop();
            observe?.Invoke(t, lora);
            self.Refresh();
            var cpuBefore = self.TotalProcessorTime;
            absorb.Start();
            sketch.AppendLora(lora, SketchAxis.Rows);
            absorb.Stop();
            self.Refresh();
            cpu += self.TotalProcessorTime - cpuBefore;
        }

        var basisTimer = Stopwatch.StartNew();
        var basis = new SubspaceBasisSolver(backend).Compute(sketch, new BasisOptions { Rank = k }, previous);
        basisTimer.Stop();

        long d = fleet.InFeatures, r = fleet.Rank, twoEll = 2L * ell;
        long perShrink = (twoEll * twoEll * d) + (2L * (ell - 1) * twoEll * d);
        long perModel = (r * r * fleet.OutFeatures) + (2 * r * r * d);
        long flops = (sketch.ShrinkCount * perShrink) + (models * perModel);
        double sin = SubspaceMetrics.SinThetaMax(basis.Vectors, k, fleet.Universal, fleet.Rank, fleet.InFeatures);
        self.Refresh();
        return new Result(models, absorb.Elapsed.TotalSeconds, cpu.TotalSeconds, basisTimer.Elapsed.TotalSeconds, generate.Elapsed.TotalSeconds, flops,
            sketch.ShrinkCount, basis, sin, self.PeakWorkingSet64, GC.GetTotalMemory(false));
    }
}
