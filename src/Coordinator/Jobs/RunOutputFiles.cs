namespace OrleansUws.Coordinator.Jobs;

/// <summary>Files written by a run.</summary>
/// <param name="Bases">One safetensors file per layer and mode.</param>
/// <param name="Csv">The convergence history.</param>
/// <param name="Png">The convergence plot.</param>
public sealed record RunOutputFiles(IReadOnlyList<string> Bases, string Csv, string Png);
