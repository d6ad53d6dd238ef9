namespace OrleansUws.Cluster.Bench;

/// <summary>Timings of one benchmark pass.</summary>
/// <param name="Models">Models ingested.</param>
/// <param name="Ingest">Wall time from the first model to the last one absorbed.</param>
/// <param name="Basis">Wall time from the last model absorbed to every layer's new basis.</param>
public sealed record PhaseTimings(int Models, TimeSpan Ingest, TimeSpan Basis)
{
    /// <summary>Models per second during ingestion.</summary>
    public double ModelsPerSecond => Models / Ingest.TotalSeconds;

    /// <summary>The per-phase medians of <paramref name="runs"/> (same model count).</summary>
    public static PhaseTimings Median(IReadOnlyList<PhaseTimings> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        ArgumentOutOfRangeException.ThrowIfZero(runs.Count);
        return new PhaseTimings(runs[0].Models, MedianOf(runs.Select(r => r.Ingest)), MedianOf(runs.Select(r => r.Basis)));
    }

    /// <summary>Models per second end to end (ingestion plus final bases).</summary>
    public double EndToEndModelsPerSecond => Models / (Ingest + Basis).TotalSeconds;

    private static TimeSpan MedianOf(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
