using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Numerics.Bench.Gpu;

/// <summary>
/// The GPU benchmark cases of issue 5, printed as one block: cuBLAS SGEMM rate (float32 and TF32); Frequent
/// Directions update throughput (d = 2²⁰ and 2²²) as a fraction of the float32 rate, with rows already on the device and with rows
/// uploaded from the host (float32 and bf16); time to absorb one dense 4096×4096 layer and one Mistral-7B-shaped
/// rank-16 LoRA adapter (32 layers × q,k,v,o,gate,up,down, rows mode, one sketch per module) through the
/// library's <see cref="FrequentDirectionsSketch"/>.
/// With <c>--cpu openblas|managed</c> the layer and adapter cases also run on that CPU backend for comparison.
/// Usage: <c>gpu [--cpu NAME] [--quick]</c> (quick: smaller sizes, for a smoke run).
/// </summary>
public static class GpuBenchmarks
{
    private const int Ell = 64;

    /// <summary>Runs every case; returns 0, or 2 when no CUDA backend can be created (the reason is printed).</summary>
    public static int Run(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var quick = args.Contains("--quick");
        var cpuIndex = args.ToList().IndexOf("--cpu");
        using var cpu = cpuIndex >= 0 && cpuIndex + 1 < args.Count ? CreateCpu(args[cpuIndex + 1]) : null;
        var provider = new CudaBackendProvider(new CudaBackendOptions(), candidates: null, logger: null);
        if (!provider.TryCreate(out var created, out var reason))
        {
            Console.WriteLine($"gpu: CUDA backend unavailable: {reason}");
            if (cpu is not null)
            {
                RunAbsorbCases(null, cpu.Backend, quick);
            }

            return 2;
        }

        using var backend = (CudaBlasBackend)created!;
        Console.WriteLine($"gpu: backend {reason}");
        var probe = CudaDeviceProbe.Probe();
        Console.WriteLine($"gpu: {probe}");

        var n = quick ? 4096 : 8192;
        var fp32 = SgemmRate.MeasureGflops(backend, n, tf32: false);
        var tf32 = SgemmRate.MeasureGflops(backend, n, tf32: true);
        Print($"cuBLAS sgemm float32, n = {n}", fp32, "GFLOP/s");
        Print($"cuBLAS sgemm TF32 tensor cores, n = {n}", tf32, "GFLOP/s");

        var host = new ManagedBlasBackend();
        foreach (var order in (int[])[2 * Ell, 4 * Ell])
        {
            var onDevice = EigenMilliseconds(backend, order);
            var onHost = EigenMilliseconds(host, order);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gpu: eigen {order}×{order} float64 (FD shrink), mean of 20: cuSOLVER syevd {onDevice:F3} ms, managed host {onHost:F3} ms → {(onHost < onDevice ? $"set CudaBackendOptions.HostEigenMaxOrder ≥ {order}" : "keep it on the GPU")}"));
        }

        int[] dimensions = quick ? [1 << 18] : [1 << 20, 1 << 22];
        var updates = quick ? 5 : 20;
        foreach (var dimension in dimensions)
        {
            var resident = UpdateRate(backend, dimension, updates, FdSource.Device);
            var uploaded = UpdateRate(backend, dimension, updates, FdSource.HostFloat);
            var uploadedBf16 = UpdateRate(backend, dimension, updates, FdSource.HostBFloat16);
            Print($"FD update (ℓ = {Ell}, d = {dimension}), rows on device", resident, $"GFLOP/s = {100 * resident / fp32:F1} % of sgemm float32");
            Print($"FD update (ℓ = {Ell}, d = {dimension}), float32 rows from host", uploaded, $"GFLOP/s = {100 * uploaded / fp32:F1} % of sgemm float32");
            Print($"FD update (ℓ = {Ell}, d = {dimension}), bf16 rows from host, widened on device", uploadedBf16, $"GFLOP/s = {100 * uploadedBf16 / fp32:F1} % of sgemm float32");
        }

        RunAbsorbCases(backend, cpu?.Backend, quick);
        return 0;
    }

    /// <summary>The dense-layer and Mistral-adapter cases on the CUDA backend (when given) and the CPU backend (when given).</summary>
    private static void RunAbsorbCases(CudaBlasBackend? cuda, IBlasBackend? cpu, bool quick)
    {
        var side = quick ? 1024 : 4096;
        foreach (var (name, candidate) in Backends(cuda, cpu))
        {
            Print($"absorb dense {side}×{side} layer (float32, ℓ = {Ell}) [{name}]", 1000 * AbsorbDenseLayer(candidate, side), "ms");
        }

        var layers = quick ? 4 : 32;
        foreach (var (name, candidate) in Backends(cuda, cpu))
        {
            var (mean, worst) = AbsorbMistralAdapters(candidate, layers, adapters: 12);
            Print($"absorb Mistral-shaped r = 16 adapter, {layers} layers × 7 modules, mean of 12 [{name}]", 1000 * mean, $"ms (worst {1000 * worst:F1} ms, with shrinks)");
        }
    }

    /// <summary>The named CPU backend, or null (with a printed reason) when it cannot be created here.</summary>
    private static DisposableBackend? CreateCpu(string name)
    {
        IBlasBackendProvider provider = name switch
        {
            "openblas" => new OpenBlasBackendProvider(),
            "managed" => new ManagedBlasBackendProvider(),
            _ => throw new ArgumentException($"--cpu must be openblas or managed, not '{name}'.", nameof(name)),
        };
        if (provider.TryCreate(out var backend, out var reason) && backend is not null)
        {
            return new DisposableBackend(backend);
        }

        Console.WriteLine($"gpu: CPU backend {name} unavailable, no CPU comparison: {reason}");
        return null;
    }

    private enum FdSource
    {
        Device,
        HostFloat,
        HostBFloat16,
    }

    private static IEnumerable<(string Name, IBlasBackend Backend)> Backends(CudaBlasBackend? cuda, IBlasBackend? cpu)
    {
        if (cuda is not null)
        {
            yield return ("cuda", cuda);
        }

        if (cpu is not null)
        {
            yield return (cpu.Name, cpu);
        }
    }

    private static void Print(string what, double value, string unit) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gpu: {what,-78} {value,12:F1} {unit}"));

    /// <summary>Mean milliseconds of a float64 symmetric eigen-decomposition of order n (after one warm-up).</summary>
    private static double EigenMilliseconds(IBlasBackend backend, int n)
    {
        var random = new Random(13);
        var symmetric = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                symmetric[(i * n) + j] = symmetric[(j * n) + i] = random.NextDouble() - 0.5;
            }
        }

        var work = new double[n * n];
        var values = new double[n];
        symmetric.CopyTo(work, 0);
        backend.SymmetricEigen(n, work, values);
        const int repetitions = 20;
        var watch = Stopwatch.StartNew();
        for (var r = 0; r < repetitions; r++)
        {
            symmetric.CopyTo(work, 0);
            backend.SymmetricEigen(n, work, values);
        }

        return watch.Elapsed.TotalMilliseconds / repetitions;
    }

    /// <summary>GFLOP/s of steady-state FD updates (one shrink + ℓ new rows each).</summary>
    private static double UpdateRate(CudaBlasBackend backend, int dimension, int updates, FdSource source)
    {
        using var loop = new FrequentDirectionsLoop(backend, dimension, Ell);
        var workspace = (CudaSketchWorkspace)loop.Workspace;
        var fresh = Ell;
        var random = new Random(3);
        var rows = new float[fresh * dimension];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = (float)(random.NextDouble() - 0.5);
        }

        var bits = new ushort[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            bits[i] = (ushort)(BitConverter.SingleToInt32Bits(rows[i]) >>> 16);
        }

        using var pool = new DeviceBuffer(backend.Native.Runtime, (ulong)rows.Length * sizeof(float));
        CopyToDevice(backend, rows, pool);
        Action<int, int, int> set = source switch
        {
            FdSource.Device => (offset, from, take) => workspace.SetRowsFromDevice(offset, pool.At((ulong)from * (ulong)dimension * sizeof(float)), take),
            FdSource.HostFloat => (offset, from, take) => workspace.SetRows(offset, rows.AsSpan(from * dimension, take * dimension), take),
            _ => (offset, from, take) => workspace.SetRowsBFloat16(offset, bits.AsSpan(from * dimension, take * dimension), take),
        };

        // Fill the buffer (2ℓ rows), then one warm-up update.
        loop.Insert(fresh, set);
        loop.Insert((2 * Ell) - fresh, set);
        loop.Insert(fresh, set);
        loop.Synchronize();
        var shrinksBefore = loop.Shrinks;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < updates; i++)
        {
            loop.Insert(fresh, set);
        }

        loop.Synchronize();
        var seconds = watch.Elapsed.TotalSeconds;
        return (loop.Shrinks - shrinksBefore) * loop.FlopsPerShrink / seconds / 1e9;
    }

    /// <summary>Copies host rows into a device pool (through a temporary stream, waited for).</summary>
    private static void CopyToDevice(CudaBlasBackend backend, float[] rows, DeviceBuffer pool)
    {
        var runtime = backend.Native.Runtime;
        var stream = runtime.CreateStream(Cuda.Interop.CudaRuntimeApi.StreamNonBlocking);
        var pinned = GCHandle.Alloc(rows, GCHandleType.Pinned);
        try
        {
            runtime.MemcpyAsync(pool.Pointer, pinned.AddrOfPinnedObject(), (ulong)rows.Length * sizeof(float), Cuda.Interop.CudaMemcpyKind.HostToDevice, stream);
            runtime.Synchronize(stream);
        }
        finally
        {
            pinned.Free();
            runtime.DestroyStream(stream);
        }
    }

    /// <summary>
    /// Seconds to absorb every row of a dense side×side float32 layer into a fresh <see cref="FrequentDirectionsSketch"/>
    /// (rows mode: AppendRows, including its finiteness check and the final compaction), until the device is idle.
    /// </summary>
    private static double AbsorbDenseLayer(IBlasBackend backend, int side)
    {
        var random = new Random(7);
        var layer = new float[side * side];
        for (var i = 0; i < layer.Length; i++)
        {
            layer[i] = (float)(random.NextDouble() - 0.5);
        }

        using var sketch = new FrequentDirectionsSketch(backend, side, Ell, MeanMode.None);
        var watch = Stopwatch.StartNew();
        sketch.AppendRows(layer, side);
        sketch.Compact();
        WaitForDevice(backend);
        return watch.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Mean and worst seconds per adapter to absorb <paramref name="adapters"/> Mistral-7B-shaped rank-16 adapters
    /// (α = 32) through <c>AppendLora(…, SketchAxis.Rows)</c>, one <see cref="FrequentDirectionsSketch"/> per module:
    /// per layer q (4096→4096), k and v (4096→1024), o (4096→4096), gate and up (4096→14336), down (14336→4096).
    /// The rows inserted are R·A (16 × in_features) with RᵀR = (α/r)²BᵀB, as in production.
    /// </summary>
    private static (double Mean, double Worst) AbsorbMistralAdapters(IBlasBackend backend, int layers, int adapters)
    {
        (int Out, int In)[] modules = [(4096, 4096), (1024, 4096), (1024, 4096), (4096, 4096), (14336, 4096), (14336, 4096), (4096, 14336)];
        const int rank = 16;
        var random = new Random(9);
        var factors = modules.Distinct().ToDictionary(shape => shape, shape =>
        {
            var b = new float[shape.Out * rank];
            var a = new float[rank * shape.In];
            for (var i = 0; i < b.Length; i++)
            {
                b[i] = (float)(random.NextDouble() - 0.5);
            }

            for (var i = 0; i < a.Length; i++)
            {
                a[i] = (float)(random.NextDouble() - 0.5);
            }

            return new LoraFactors(b, a, shape.Out, rank, shape.In, 32f);
        });

        var sketches = new List<(FrequentDirectionsSketch Sketch, LoraFactors Lora)>();
        try
        {
            for (var layer = 0; layer < layers; layer++)
            {
                sketches.AddRange(modules.Select(shape => (new FrequentDirectionsSketch(backend, shape.In, Ell, MeanMode.None), factors[shape])));
            }

            double total = 0, worst = 0;
            for (var adapter = 0; adapter < adapters; adapter++)
            {
                var watch = Stopwatch.StartNew();
                foreach (var (sketch, lora) in sketches)
                {
                    sketch.AppendLora(lora, SketchAxis.Rows);
                }

                WaitForDevice(backend);
                var seconds = watch.Elapsed.TotalSeconds;
                total += seconds;
                worst = Math.Max(worst, seconds);
            }

            return (total / adapters, worst);
        }
        finally
        {
            foreach (var (sketch, _) in sketches)
            {
                sketch.Dispose();
            }
        }
    }

    /// <summary>Waits for queued GPU work; CPU backends are synchronous.</summary>
    private static void WaitForDevice(IBlasBackend backend) => (backend as CudaBlasBackend)?.SynchronizeDevice();

    /// <summary>Owns a CPU backend for the run, disposing it when it is disposable.</summary>
    private sealed class DisposableBackend(IBlasBackend backend) : IDisposable
    {
        public IBlasBackend Backend { get; } = backend;

        public void Dispose() => (Backend as IDisposable)?.Dispose();
    }
}
