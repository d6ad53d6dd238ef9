using OrleansUws.Subspace.Bases;

namespace OrleansUws.Subspace.Merging;

/// <summary>A merge and its parameters.</summary>
/// <param name="Method">The method.</param>
public sealed record MergeOptions(MergeMethod Method)
{
    /// <summary>λ, the scale of the merged task vector (task arithmetic, TIES, DARE). Default 1.</summary>
    public double Lambda { get; init; } = 1.0;

    /// <summary>TIES: the share of each task vector's entries kept, by magnitude, in (0, 1]. Default 0.2 (the paper's top-20 %).</summary>
    public double Density { get; init; } = 0.2;

    /// <summary>DARE: the drop probability p in [0, 1). Default 0.9.</summary>
    public double DropRate { get; init; } = 0.9;

    /// <summary>DARE: the seed; the mask of model i in a layer depends only on (seed, i, layer id).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Subspace: the bases.</summary>
    public BasisSet? Bases { get; init; }

    /// <summary>Subspace: the coefficient form. Default columns (the output side, where LoRA fleets share structure).</summary>
    public CoefficientForm Form { get; init; } = CoefficientForm.Columns;

    /// <summary>Subspace: leading vectors used of each basis; null for all.</summary>
    public int? K { get; init; }

    /// <summary>Throws, naming every bad parameter, when the options cannot be run.</summary>
    /// <exception cref="ArgumentException">Every failure, at once.</exception>
    public void Validate()
    {
        var failures = new List<string>();
        if (!double.IsFinite(Lambda))
        {
            failures.Add($"Lambda is {Lambda}; it must be finite.");
        }

        if (!(Density > 0 && Density <= 1))
        {
            failures.Add($"Density is {Density}; it must be in (0, 1].");
        }

        if (!(DropRate >= 0 && DropRate < 1))
        {
            failures.Add($"DropRate is {DropRate}; it must be in [0, 1).");
        }

        if (Method == MergeMethod.Subspace && Bases is null)
        {
            failures.Add("The subspace merge needs Bases.");
        }

        if (K is < 1)
        {
            failures.Add($"K is {K}; it must be at least 1.");
        }

        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures));
        }
    }
}
