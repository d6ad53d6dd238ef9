using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Basis;

namespace OrleansUws.Grains;

/// <summary>Turns a fleet's <see cref="BasisPolicy"/> into the numerics solver's <see cref="BasisOptions"/>.</summary>
public static class BasisPolicyExtensions
{
    /// <summary>
    /// The solver options of <paramref name="policy"/>: k fixed when <see cref="BasisPolicy.Rank"/> &gt; 0, else chosen
    /// by the energy threshold with the cap; centred as the layer is.
    /// </summary>
    public static BasisOptions ToBasisOptions(this BasisPolicy policy, bool centred)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new BasisOptions
        {
            Rank = policy.Rank > 0 ? policy.Rank : null,
            EnergyThreshold = policy.EnergyThreshold,
            MaxRank = policy.MaxRank,
            Oversampling = policy.Oversampling,
            MaxIterations = policy.MaxIterations,
            Centred = centred,
            Seed = policy.Seed,
        };
    }
}
