using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Coordinator.Reports;

namespace OrleansUws.Coordinator.Jobs;

/// <summary>What <see cref="RunJob"/> did.</summary>
/// <param name="FleetFolder">The fleet ingested (generated or given).</param>
/// <param name="Ingest">Ingestion figures.</param>
/// <param name="Skipped">Paths under the fleet folder that are not models, with why.</param>
/// <param name="Layers">Every layer's report and final basis.</param>
/// <param name="Files">Files written.</param>
public sealed record RunResult(string FleetFolder, IngestSummary Ingest, IReadOnlyList<SkippedPath> Skipped, IReadOnlyList<LayerSnapshot> Layers, RunOutputFiles Files);
