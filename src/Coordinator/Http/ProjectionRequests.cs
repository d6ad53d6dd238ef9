namespace OrleansUws.Coordinator.Http;

/// <summary>Body of <c>POST …/projections</c>: one model, by registered id or by path inside a model root, and the form of its coefficients.</summary>
/// <param name="ModelId">A model the fleet's registry knows (its stored location is read); or give <paramref name="Location"/>.</param>
/// <param name="Location">A model's path inside a model root; or give <paramref name="ModelId"/>.</param>
/// <param name="Form">"rows", "columns", "two-sided" or "flattened" (default "columns").</param>
/// <param name="K">Vectors of each basis to use (default: all).</param>
/// <param name="Version">The basis version the coefficients must be against (every layer's current version must equal it).</param>
public sealed record ProjectionRequest(string? ModelId, string? Location, string? Form, int? K, int? Version);

/// <summary>Body of <c>POST …/merges</c>: registered models and how to merge them.</summary>
/// <param name="Models">Ids of at least two models the fleet's registry knows.</param>
/// <param name="Method">"mean", "task-arithmetic", "ties", "dare" or "subspace" (default "mean").</param>
/// <param name="Lambda">Scale of the merged update (default 1).</param>
/// <param name="Density">TIES: share of entries kept (default 0.2).</param>
/// <param name="DropRate">DARE: drop probability (default 0.9).</param>
/// <param name="Seed">DARE: seed of the drop masks (default 1).</param>
/// <param name="Form">Subspace merge: coefficient form (default "columns").</param>
/// <param name="K">Subspace merge: vectors of each basis to use.</param>
/// <param name="Version">Subspace merge: the basis version every layer must be at.</param>
public sealed record MergeRequest(IReadOnlyList<string>? Models, string? Method, double? Lambda, double? Density, double? DropRate, ulong? Seed, string? Form, int? K, int? Version);
