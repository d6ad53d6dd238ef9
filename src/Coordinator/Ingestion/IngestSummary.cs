using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>What one ingestion pass did.</summary>
/// <param name="Submitted">Models submitted.</param>
/// <param name="Absorbed">Newly absorbed.</param>
/// <param name="AlreadyKnown">Already absorbed before: nothing changed.</param>
/// <param name="Rejected">Models not absorbed (rejected, quarantined, still queued) with the registry's reason.</param>
/// <param name="Elapsed">Wall time of the pass.</param>
public sealed record IngestSummary(int Submitted, int Absorbed, int AlreadyKnown, IReadOnlyList<SubmitResult> Rejected, TimeSpan Elapsed)
{
    /// <summary>Newly absorbed models per second.</summary>
    public double ModelsPerSecond => Elapsed > TimeSpan.Zero ? Absorbed / Elapsed.TotalSeconds : 0;
}
