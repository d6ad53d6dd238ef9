namespace OrleansUws.Grains.Interfaces;

/// <summary>How a layer's basis is chosen and when a new version is computed.</summary>
/// <param name="Rank">Fixed k; 0 chooses the smallest k whose explained energy reaches <paramref name="EnergyThreshold"/>.</param>
/// <param name="EnergyThreshold">τ in (0, 1] used when <paramref name="Rank"/> is 0.</param>
/// <param name="MaxRank">Cap on k (reported when reached).</param>
/// <param name="EveryModels">Compute a new version after this many newly absorbed models; 0 disables.</param>
/// <param name="Interval">Compute a new version this often when models arrived since the last one; zero disables.</param>
/// <param name="Oversampling">Extra random columns p of the randomized subspace iteration.</param>
/// <param name="MaxIterations">Iteration cap of the warm-started randomized subspace iteration (it stops earlier once the subspace settles).</param>
/// <param name="Seed">Seed of the random start columns (fixed so versions are reproducible).</param>
[GenerateSerializer, Immutable]
public sealed record BasisPolicy(
    [property: Id(0)] int Rank,
    [property: Id(1)] double EnergyThreshold,
    [property: Id(2)] int MaxRank,
    [property: Id(3)] int EveryModels,
    [property: Id(4)] TimeSpan Interval,
    [property: Id(5)] int Oversampling,
    [property: Id(6)] int MaxIterations,
    [property: Id(7)] int Seed);
