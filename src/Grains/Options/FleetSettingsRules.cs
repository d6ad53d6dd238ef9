using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Options;

/// <summary>
/// The validity rules of sketch settings, basis policies and slice counts, shared by the options validator and
/// the fleet grain so both report the same failures with the same field names.
/// </summary>
public static class FleetSettingsRules
{
    /// <summary>Appends one message per invalid field of <paramref name="sketch"/> (field names prefixed by <paramref name="prefix"/>).</summary>
    public static void Validate(SketchSettings sketch, string prefix, List<string> failures)
    {
        if (sketch.SketchRows < 2)
        {
            failures.Add($"{prefix}SketchRows must be at least 2 (was {sketch.SketchRows}).");
        }

        if (sketch.ExactGramMaxDimension < 0)
        {
            failures.Add($"{prefix}ExactGramMaxDimension must not be negative (was {sketch.ExactGramMaxDimension}).");
        }

        if (!Enum.IsDefined(sketch.LargeLayers))
        {
            failures.Add($"{prefix}LargeLayers must be FrequentDirections or Nystrom (was {(int)sketch.LargeLayers}).");
        }
    }

    /// <summary>Appends one message per invalid field of <paramref name="basis"/>; k must stay below the sketch's ℓ.</summary>
    public static void Validate(BasisPolicy basis, SketchSettings sketch, string prefix, List<string> failures)
    {
        if (basis.Rank < 0)
        {
            failures.Add($"{prefix}Rank must not be negative (was {basis.Rank}).");
        }

        if (basis.Rank == 0 && !(basis.EnergyThreshold > 0 && basis.EnergyThreshold <= 1))
        {
            failures.Add($"{prefix}EnergyThreshold must be in (0, 1] when Rank is 0 (was {basis.EnergyThreshold}).");
        }

        if (basis.MaxRank < 1)
        {
            failures.Add($"{prefix}MaxRank must be at least 1 (was {basis.MaxRank}).");
        }

        if (Math.Max(basis.Rank, basis.MaxRank) >= sketch.SketchRows)
        {
            failures.Add($"{prefix}Rank/MaxRank ({Math.Max(basis.Rank, basis.MaxRank)}) must be below SketchRows ({sketch.SketchRows}).");
        }

        if (basis.EveryModels < 0)
        {
            failures.Add($"{prefix}EveryModels must not be negative (was {basis.EveryModels}).");
        }

        if (basis.Interval < TimeSpan.Zero)
        {
            failures.Add($"{prefix}Interval must not be negative (was {basis.Interval}).");
        }

        if (basis.Oversampling < 0)
        {
            failures.Add($"{prefix}Oversampling must not be negative (was {basis.Oversampling}).");
        }

        if (basis.MaxIterations < 1)
        {
            failures.Add($"{prefix}MaxIterations must be at least 1 (was {basis.MaxIterations}).");
        }
    }

    /// <summary>
    /// Flattened mode: appends a message per layer that cannot be split into <paramref name="sliceCount"/> column slices of
    /// whole rows (m &lt; slices) or whose m·n exceeds the largest vector a basis can hold; and when the fleet is centred
    /// (flattened bases are uncentred, the mean is published beside them).
    /// </summary>
    public static void ValidateFlattened(IReadOnlyDictionary<string, LayerShape> layers, int sliceCount, bool centered, List<string> failures)
    {
        if (centered)
        {
            failures.Add("Centered is not supported with the Flattened mode (its basis is uncentred; the mean is published beside it).");
        }

        foreach (var (layer, shape) in layers.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (shape is null || shape.Rows < 1 || shape.Columns < 1)
            {
                continue;
            }

            if (shape.Rows < sliceCount)
            {
                failures.Add($"Layers: layer '{layer}' has m = {shape.Rows} rows, fewer than FlattenedSliceCount = {sliceCount} (a column slice owns at least one whole row of W).");
            }

            if ((long)shape.Rows * shape.Columns > Array.MaxLength)
            {
                failures.Add($"Layers: layer '{layer}' ({shape}) is too large for flattened mode: m·n = {(long)shape.Rows * shape.Columns} exceeds {Array.MaxLength}.");
            }
        }
    }

    /// <summary>Appends a message when <paramref name="sliceCount"/> is out of range.</summary>
    public static void ValidateSliceCount(int sliceCount, string prefix, List<string> failures)
    {
        if (sliceCount is < 1 or > 1024)
        {
            failures.Add($"{prefix}SliceCount must be in [1, 1024] (was {sliceCount}).");
        }
    }

    /// <summary>Appends a message when the outlier factor is neither 0 (off) nor a finite number above 1.</summary>
    public static void ValidateOutlierFactor(double factor, string prefix, List<string> failures)
    {
        if (!(factor == 0 || (double.IsFinite(factor) && factor > 1)))
        {
            failures.Add($"{prefix}OutlierFactor must be 0 (off) or a finite number above 1 (was {factor}).");
        }
    }
}
