using System.Diagnostics;
using OrleansUws.Numerics.Backends;
using OrleansUws.TrainedFleet.Data;
using OrleansUws.TrainedFleet.Evaluation;
using OrleansUws.TrainedFleet.Fleet;
using OrleansUws.TrainedFleet.Training;

namespace OrleansUws.TrainedFleet;

/// <summary>The whole evaluation: train, write the fleet, fit bases, project, measure, report.</summary>
public static class TrainedFleetBenchmark
{
    /// <summary>Runs it; returns the process exit code.</summary>
    public static int Run(BenchOptions options, IBlasBackend blas, TextWriter console)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        if (Directory.Exists(options.Output) && Directory.EnumerateFileSystemEntries(options.Output).Any())
        {
            console.WriteLine($"TrainedFleet: --out '{options.Output}' is not empty; give a new or empty folder.");
            return 2;
        }

        Directory.CreateDirectory(options.Output);
        var clock = Stopwatch.StartNew();
        FleetSettings settings = options.Fleet;
        LabeledImages all = DigitsDataSet.Load(options.DataPath);
        var builder = new FleetBuilder(blas, settings);
        (LabeledImages train, LabeledImages test) = builder.Split(all);
        console.WriteLine($"digits: {all.Count} images, {train.Count} train / {test.Count} test per task; BLAS backend {blas.Name}; {settings.Parallelism} threads");

        Mlp trained = builder.TrainBase(train);
        string basePath = Path.Combine(options.Output, FleetBuilder.BaseFolder, BaseModelFile.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(basePath)!);
        BaseModelFile.Write(basePath, trained, new Dictionary<string, string> { ["data"] = "UCI optical handwritten digits", ["seed"] = settings.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Mlp model = BaseModelFile.Read(basePath);
        double baseAccuracy = new Trainer(blas).Accuracy(model, test);
        TimeSpan baseTime = clock.Elapsed;
        console.WriteLine($"base {string.Join('→', settings.LayerSizes)}: test accuracy {baseAccuracy:P2} ({baseTime.TotalSeconds:F1} s)");

        IReadOnlyList<TrainedAdapter> adapters = builder.TrainAdapters(model, train, test, options.Output);
        TimeSpan adapterTime = clock.Elapsed - baseTime;
        console.WriteLine(
            $"{adapters.Count} adapters (r = {settings.Rank}, α = {settings.Alpha}) in {adapterTime.TotalSeconds:F1} s: task accuracy base {adapters.Average(a => a.BaseAccuracy):P1} → adapter {adapters.Average(a => a.AdapterAccuracy):P1} (means over tasks)");

        var evaluation = new SubspaceEvaluation(blas, options.Ks);
        EvaluationResult result = evaluation.Run(model, adapters, test, options.Output, console);
        TimeSpan evaluationTime = clock.Elapsed - baseTime - adapterTime;
        var timings = new RunTimings(baseTime, adapterTime, evaluationTime, clock.Elapsed, blas.Name, settings.Parallelism);
        string report = ReportWriter.Write(options, baseAccuracy, adapters, result, timings);
        File.WriteAllText(Path.Combine(options.Output, ReportWriter.FileName), report);
        ReportWriter.WriteDiagnosticsCsv(Path.Combine(options.Output, ReportWriter.DiagnosticsCsvFileName), result);
        ReportWriter.WriteAdapterCsv(Path.Combine(options.Output, ReportWriter.AdapterCsvFileName), adapters, result);
        console.WriteLine();
        console.WriteLine(report);
        console.WriteLine($"written: {Path.Combine(options.Output, ReportWriter.FileName)} ({clock.Elapsed.TotalSeconds:F1} s in all)");
        return 0;
    }
}
