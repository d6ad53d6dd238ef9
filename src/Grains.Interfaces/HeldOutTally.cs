namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// Running sums of the held-out (prequential) capture: each model, before a slice absorbed it, was projected onto the
/// layer's basis version of that moment, and its energy ‖X‖²_F and captured energy ‖X·Vᵀ‖²_F (X the model's rows or
/// columns, about the basis's mean when centred) were added here. A model the basis has not seen is the honest
/// convergence test: a share near 1 means new models bring nothing the basis lacks.
/// </summary>
/// <param name="Models">Models measured (absorbed while a basis existed).</param>
/// <param name="ShareSum">Σ of the per-model shares captured/energy (for <see cref="MeanShare"/>).</param>
/// <param name="CapturedEnergy">Σ of the captured energies.</param>
/// <param name="Energy">Σ of the models' energies.</param>
/// <param name="SinceVersion">The oldest basis version a model was measured against (0 when none was).</param>
[GenerateSerializer, Immutable]
public sealed record HeldOutTally(
    [property: Id(0)] int Models,
    [property: Id(1)] double ShareSum,
    [property: Id(2)] double CapturedEnergy,
    [property: Id(3)] double Energy,
    [property: Id(4)] int SinceVersion)
{
    /// <summary>Nothing measured.</summary>
    public static HeldOutTally Empty { get; } = new(0, 0, 0, 0, 0);

    /// <summary>The average per-model share (the running average as T grows); null before the first measurement.</summary>
    public double? MeanShare => Models > 0 ? ShareSum / Models : null;

    /// <summary>The energy-weighted share Σcaptured/Σenergy; null while no energy was measured.</summary>
    public double? WeightedShare => Energy > 0 ? CapturedEnergy / Energy : null;

    /// <summary>This tally with one more model measured against <paramref name="version"/>.</summary>
    public HeldOutTally Add(double captured, double energy, int version)
    {
        double share = energy > 0 ? Math.Clamp(captured / energy, 0, 1) : 0;
        return new HeldOutTally(Models + 1, ShareSum + share, CapturedEnergy + captured, Energy + energy,
            SinceVersion == 0 ? version : Math.Min(SinceVersion, version));
    }

    /// <summary>The sum of two tallies (slices that saw different models).</summary>
    public HeldOutTally Plus(HeldOutTally other)
    {
        ArgumentNullException.ThrowIfNull(other);
        int since = SinceVersion == 0 ? other.SinceVersion : other.SinceVersion == 0 ? SinceVersion : Math.Min(SinceVersion, other.SinceVersion);
        return new HeldOutTally(Models + other.Models, ShareSum + other.ShareSum, CapturedEnergy + other.CapturedEnergy, Energy + other.Energy, since);
    }

    /// <summary>What this (later) tally added since <paramref name="earlier"/>: the models measured in between.</summary>
    public HeldOutTally Since(HeldOutTally? earlier) => earlier is null
        ? this
        : new HeldOutTally(Models - earlier.Models, ShareSum - earlier.ShareSum, CapturedEnergy - earlier.CapturedEnergy, Energy - earlier.Energy, SinceVersion);
}
