using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Reports;

/// <summary>One layer and mode as read from its coordinator grain: the report and the current basis.</summary>
/// <param name="Report">History and distance to the truth.</param>
/// <param name="Basis">The current basis (vectors, singular values, mean).</param>
public sealed record LayerSnapshot(LayerReport Report, LayerBasis Basis);
