using System.Globalization;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Bench;
using OrleansUws.Numerics.Cuda;
using OrleansUws.Numerics.Hosting;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;

// Numerics benchmark: sgemm rates, a planted LoRA fleet absorbed by Frequent Directions at two fleet sizes — by one
// sketch with BLAS on every core, and by one sketch per core (ParallelSketchAbsorber, one BLAS thread each) — an exact
// float64 reference, and numpy/scikit-learn on the same data. Prints figures; asserts nothing.
// Usage: dotnet run -c Release --project bench/Numerics.Bench -- [--backend auto|openblas|managed|…] [--lanes P] [--repeat N] [--quick] [--python PATH]
if (args is ["gpu", ..]) { Environment.ExitCode = OrleansUws.Numerics.Bench.Gpu.GpuBenchmarks.Run(args[1..]); return; }

string backendName = Option("--backend") ?? BlasOptions.Auto;
bool quick = args.Contains("--quick");
string python = Option("--python") ?? "/usr/bin/python3";
int lanes = int.Parse(Option("--lanes") ?? Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
int repeat = int.Parse(Option("--repeat") ?? (quick ? "1" : "3"), CultureInfo.InvariantCulture);
const int M = 4096, N = 4096, R = 16, K = 16, Ell = 64;
const float Alpha = 32f, Noise = 0.005f;
int smallT = quick ? 100 : 500, largeT = quick ? 1000 : 5000;

// ThreadsPerCall = 0: OpenBLAS's own default (every core) for the sgemm rate and the one-sketch runs.
using var services = new ServiceCollection().AddUwsNumerics(o => o.Backend = backendName).AddCudaBackend().Configure<OpenBlasOptions>(o => o.ThreadsPerCall = 0).BuildServiceProvider();
var selector = services.GetRequiredService<BlasBackendSelector>();
var backend = selector.Selected;
string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
Console.WriteLine($"OrleansUws numerics benchmark — {Environment.ProcessorCount} cores, .NET {Environment.Version}, backend '{backend.Name}', {lanes} lanes{(quick ? " (quick)" : string.Empty)}, load average {load}");
foreach (string line in selector.Report)
{
    Console.WriteLine($"  {line}");
}

// 1. sgemm rates.
var rates = new Dictionary<string, double>();
if (new OpenBlasBackendProvider().TryCreate(out var openBlas, out string why) && openBlas is not null)
{
    rates["openblas"] = GemmRate.Measure(openBlas, quick ? 1024 : 2048, 3);
}
else
{
    Console.WriteLine($"  openblas sgemm: not measured ({why})");
}

rates["managed"] = GemmRate.Measure(new ManagedBlasBackend(), quick ? 512 : 1024, 2);
if (!rates.ContainsKey(backend.Name))
{
    rates[backend.Name] = GemmRate.Measure(backend, quick ? 1024 : 2048, 3);
}

foreach (var (name, rate) in rates)
{
    Console.WriteLine($"sgemm {name,-9} {rate,8:F1} GFLOP/s");
}

ShrinkBreakdown.Print(backend, Ell, N, quick ? 20 : 50);

// 2. The fleet at two sizes (memory must not grow with T), one sketch; factors of the small one kept for the references.
var fleet = new PlantedFleet(backend, seed: 2026, M, N, R, Alpha, Noise);
FleetRun.Run(backend, fleet, 64, Ell, K, lanes: 1);   // warm-up (first native calls, page faults); not reported
using var pythonData = quick ? null : new PythonComparison();
var runs = new List<FleetRun.Result>();
var small = FleetRun.Best(repeat, i => FleetRun.Run(backend, fleet, smallT, Ell, K, lanes: 1, observe: i == 0 ? (_, lora) => pythonData?.Write(lora.B, lora.A) : null));
runs.Add(Report(small));
runs.Add(Report(FleetRun.Best(repeat, _ => FleetRun.Run(backend, fleet, largeT, Ell, K, lanes: 1, previous: small.Basis))));

// 3. The same with one sketch per lane, each calling BLAS with one thread (what the silo configures).
var laneBackend = backend;
if (lanes > 1 && backend.Name == OpenBlasBackend.BackendName)
{
    var oneThread = new OpenBlasBackendProvider(Microsoft.Extensions.Options.Options.Create(new OpenBlasOptions { ThreadsPerCall = 1 }));
    if (oneThread.TryCreate(out var single, out _) && single is not null)
    {
        laneBackend = single;
        Console.WriteLine($"sgemm openblas, 1 thread per call: {GemmRate.Measure(single, quick ? 1024 : 2048, 3):F1} GFLOP/s (the lanes below)");
        ShrinkBreakdown.Print(single, Ell, N, quick ? 20 : 50, hostKernels: false);
        ShrinkBreakdown.Print(single, Ell, N, quick ? 20 : 50, hostKernels: true);
        ShrinkBreakdown.PrintFleetEigen(single, fleet, Ell, 300, quick ? 20 : 50);
        ShrinkBreakdown.PrintAdapterOverhead(single, fleet, Ell, quick ? 100 : 400);
    }
}

SubspaceBasis? smallLanes = null;
if (lanes > 1)
{
    FleetRun.Run(laneBackend, fleet, 64, Ell, K, lanes);   // warm-up
    var laneSmall = FleetRun.Best(repeat, _ => FleetRun.Run(laneBackend, fleet, smallT, Ell, K, lanes));
    smallLanes = laneSmall.Basis;
    runs.Add(Report(laneSmall));
    runs.Add(Report(FleetRun.Best(repeat, _ => FleetRun.Run(laneBackend, fleet, largeT, Ell, K, lanes, previous: laneSmall.Basis))));
}

// 4. Exact float64 reference on the small fleet (best available backend), and numpy/scikit-learn.
double? sinExact = null, sinLanesExact = null, exactSeconds = null;
IReadOnlyList<(string Method, double? Seconds, double? Sin)> pythonRows = [];
if (!quick)
{
    var reference = new BlasBackendSelector(services.GetServices<IBlasBackendProvider>(), Microsoft.Extensions.Options.Options.Create(new BlasOptions())).Selected;
    var sw = Stopwatch.StartNew();
    using (var exact = new ExactGramSketch(reference, N, MeanMode.None))
    {
        var b = new float[M * R];
        var a = new float[R * N];
        for (int t = 0; t < smallT; t++)
        {
            exact.AppendLora(fleet.Model(reference, t, b, a), SketchAxis.Rows);
        }

        var gram = new double[N * N];
        exact.CopyGram(gram);
        var values = new double[N];
        reference.SymmetricEigen(N, gram, values);
        exactSeconds = sw.Elapsed.TotalSeconds;
        var top = new float[K * N];
        for (int c = 0; c < K; c++)
        {
            for (int i = 0; i < N; i++)
            {
                top[(c * N) + i] = (float)gram[(i * N) + (N - 1 - c)];
            }
        }

        sinExact = SubspaceMetrics.SinThetaMax(small.Basis.Vectors, K, top, K, N);
        sinLanesExact = smallLanes is null ? null : SubspaceMetrics.SinThetaMax(smallLanes.Vectors, K, top, K, N);
    }

    Console.WriteLine($"exact float64 Gram + eigen ({reference.Name}), T = {smallT}: {exactSeconds:F2} s; sin θ_max(FD basis, exact) = {sinExact:E2}" +
        (sinLanesExact is null ? string.Empty : $", with {lanes} lanes {sinLanesExact:E2}"));
    try
    {
        pythonRows = pythonData!.Run(python, smallT, M, N, R, K, Alpha, small.Basis.Vectors);
    }
    catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
    {
        Console.WriteLine($"  python comparison skipped: {ex.Message} (install python3-numpy python3-sklearn; see scripts/bench-numerics.sh)");
    }
}

// 5. Summary table (markdown, for docs/numerics.md). Every rate is compared with the backend's sgemm on all cores,
// measured again now: on a shared machine the rate drifts within a run, so the table takes the higher of the two
// measurements (the lines above used the first).
// OpenBLAS's thread count is process-wide and the lanes above set it to one: give it every core again first.
var endBackend = backend;
if (backend.Name == OpenBlasBackend.BackendName
    && new OpenBlasBackendProvider(Microsoft.Extensions.Options.Options.Create(new OpenBlasOptions { ThreadsPerCall = Environment.ProcessorCount })).TryCreate(out var allCores, out _)
    && allCores is not null)
{
    endBackend = allCores;
}

double rateAtEnd = GemmRate.Measure(endBackend, quick ? 1024 : 2048, 3);
double rateOfBackend = Math.Max(rates[backend.Name], rateAtEnd);
Console.WriteLine($"sgemm {backend.Name} at the end: {rateAtEnd:F1} GFLOP/s (at the start {rates[backend.Name]:F1}); the table compares with {rateOfBackend:F1}");
Console.WriteLine();
Console.WriteLine($"| fleet T | lanes × BLAS threads | models/s | absorb s (best of {repeat}) | median absorb s | absorb CPU s | basis s | absorb+basis s | sketch GFLOP/s | % of {backend.Name} sgemm | shrinks | basis iters | sin θ to planted | peak working set MB |");
Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
foreach (var r in runs)
{
    double gflops = r.Flops / r.AbsorbSeconds / 1e9;
    Console.WriteLine($"| {r.Models} | {Layout(r)} | {r.Models / r.AbsorbSeconds:F0} | {r.AbsorbSeconds:F3} | {r.MedianAbsorbSeconds:F3} | {r.AbsorbCpuSeconds:F3} | {r.BasisSeconds:F3} | {r.AbsorbSeconds + r.BasisSeconds:F3} | {gflops:F1} | {100 * gflops / rateOfBackend:F0} % | {r.Shrinks} | {r.Basis.Iterations} | {r.SinToPlanted:E2} | {r.PeakWorkingSet / (1024.0 * 1024):F0} |");
}

if (!quick)
{
    Console.WriteLine();
    Console.WriteLine($"| method (T = {smallT}, n = {N}, k = {K}) | time s | sin θ_max to exact |");
    Console.WriteLine("|---|---:|---:|");
    Console.WriteLine($"| OrleansUws FD ℓ = {Ell} absorb + basis ({backend.Name}, one sketch) | {small.AbsorbSeconds + small.BasisSeconds:F3} | {sinExact:E2} |");
    if (sinLanesExact is not null)
    {
        var laneSmall = runs.First(r => r.Lanes > 1);
        Console.WriteLine($"| OrleansUws FD ℓ = {Ell} absorb + basis ({backend.Name}, {lanes} lanes) | {laneSmall.AbsorbSeconds + laneSmall.BasisSeconds:F3} | {sinLanesExact:E2} |");
    }

    Console.WriteLine($"| OrleansUws exact float64 Gram + eigen | {exactSeconds:F2} | 0 |");
    foreach (var (method, seconds, sin) in pythonRows)
    {
        Console.WriteLine($"| {method} | {(seconds is null ? "—" : seconds.Value.ToString("F2"))} | {(sin is null ? "—" : sin.Value.ToString("E2"))} |");
    }
}

FleetRun.Result Report(FleetRun.Result r)
{
    double gflops = r.Flops / r.AbsorbSeconds / 1e9;
    Console.WriteLine($"fleet T = {r.Models,5}, {Layout(r)}: absorb {r.AbsorbSeconds:F3} s wall (best of {r.AbsorbTimes.Count}: {string.Join(" / ", r.AbsorbTimes.Select(t => t.ToString("F3")))}) / {r.AbsorbCpuSeconds:F3} s CPU ({r.Models / r.AbsorbSeconds:F0} models/s, {gflops:F1} GFLOP/s = {100 * gflops / rates[backend.Name]:F0} % of sgemm), " +
        $"basis {r.BasisSeconds:F3} s ({r.Basis.Iterations} iterations{(r.Basis.SinThetaToPrevious is { } s ? $", warm, sin θ to previous {s:E2}" : ", cold")}), " +
        $"total {r.AbsorbSeconds + r.BasisSeconds:F3} s, sin θ to planted {r.SinToPlanted:E2}, energy {r.Basis.ExplainedEnergy:F3}, certificate {r.Basis.Certificate:E2}, " +
        $"data generation {r.GenerateSeconds:F2} s (not counted), peak working set {r.PeakWorkingSet / (1024.0 * 1024):F0} MB, managed heap {r.ManagedHeap / (1024.0 * 1024):F0} MB");
    return r;
}

string Layout(FleetRun.Result r) => r.Lanes > 1 ? $"{r.Lanes} sketches × 1" : $"1 sketch × {(backend.Name == OpenBlasBackend.BackendName ? "all" : "—")}";

string? Option(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
