using OrleansUws.Subspace.Updates;

namespace OrleansUws.Subspace.Merging;

/// <summary>How a subspace merge relates to the mean merge, measured.</summary>
/// <param name="EqualsMean">Whether the subspace merge equals the mean merge to float precision in every layer.</param>
/// <param name="RelativeDistanceToMean">max over layers of ‖S − M̄‖_F / meanᵢ‖ΔWᵢ‖_F.</param>
/// <param name="Reason">Why, in words.</param>
public sealed record SubspaceEquivalence(bool EqualsMean, double RelativeDistanceToMean, string Reason);

/// <summary>A merged model.</summary>
/// <param name="Layers">The merged updates.</param>
/// <param name="Notes">What the merge did that the user should know (one line each).</param>
/// <param name="Subspace">For a subspace merge, its relation to the mean merge.</param>
public sealed record MergeResult(IReadOnlyList<NamedUpdate> Layers, IReadOnlyList<string> Notes, SubspaceEquivalence? Subspace);
