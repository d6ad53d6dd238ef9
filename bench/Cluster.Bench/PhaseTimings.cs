using System.Diagnostics;

namespace OrleansUws.Cluster.Bench;

/// <summary>Timings of one benchmark pass.</summary>
/// <param name="Models">Models ingested.</param>
/// <param name="Ingest">Wall time from the first model to the last one absorbed.</param>
/// <param name="Basis">Wall time from the last model absorbed to every layer's new basis.</param>
/// <param name="IngestCpu">CPU time of the whole process (silo, client, library) during <paramref name="Ingest"/>.</param>
public sealed record PhaseTimings(int Models, TimeSpan Ingest, TimeSpan Basis, TimeSpan IngestCpu)
{
    /// <summary>Models per second during ingestion.</summary>
    public double ModelsPerSecond => Models / Ingest.TotalSeconds;

    /// <summary>
    /// CPU milliseconds per model during ingestion: steadier than wall time on a shared machine, and what throughput follows
    /// while the cores are saturated (<see cref="CoresBusy"/> near the core count).
    /// </summary>
    public double CpuMillisecondsPerModel => IngestCpu.TotalMilliseconds / Models;

    /// <summary>Cores the process kept busy on average during ingestion.</summary>
    public double CoresBusy => IngestCpu / Ingest;

    /// <summary>Models per second end to end (ingestion plus final bases).</summary>
    public double EndToEndModelsPerSecond => Models / (Ingest + Basis).TotalSeconds;

    /// <summary>The process's CPU time so far (user and system, every thread).</summary>
    public static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    /// <summary>The per-phase medians of <paramref name="runs"/> (same model count).</summary>
    public static PhaseTimings Median(IReadOnlyList<PhaseTimings> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentOutOfRangeException.ThrowIfZero(runs.Count);
        return new PhaseTimings(
            runs[0].Models, Medians.Of(runs.Select(r => r.Ingest)), Medians.Of(runs.Select(r => r.Basis)), Medians.Of(runs.Select(r => r.IngestCpu)));
    }
}
