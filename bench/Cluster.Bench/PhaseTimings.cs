namespace OrleansUws.Cluster.Bench;

/// <summary>Timings of one benchmark pass.</summary>
/// <param name="Models">Models ingested.</param>
/// <param name="Ingest">Wall time from the first model to the last one absorbed.</param>
/// <param name="Basis">Wall time from the last model absorbed to every layer's new basis.</param>
public sealed record PhaseTimings(int Models, TimeSpan Ingest, TimeSpan Basis)
{
    /// <summary>Models per second during ingestion.</summary>
    public double ModelsPerSecond => Models / Ingest.TotalSeconds;

    /// <summary>Models per second end to end (ingestion plus final bases).</summary>
    public double EndToEndModelsPerSecond => Models / (Ingest + Basis).TotalSeconds;
}
