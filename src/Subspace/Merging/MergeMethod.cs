namespace OrleansUws.Subspace.Merging;

/// <summary>How models' task vectors τᵢ (their updates ΔWᵢ) are merged into one.</summary>
public enum MergeMethod
{
    /// <summary>(1/N)·Σ τᵢ.</summary>
    Mean = 0,

    /// <summary>λ·Σ τᵢ (Ilharco et al. 2023).</summary>
    TaskArithmetic = 1,

    /// <summary>TIES (Yadav et al. 2023): trim each τᵢ to its top-density magnitudes, elect the sign by mass, average the agreeing entries (disjoint mean), times λ.</summary>
    Ties = 2,

    /// <summary>DARE (Yu et al. 2024): drop each entry with probability p (seeded), rescale the rest by 1/(1 − p), then λ·Σ.</summary>
    Dare = 3,

    /// <summary>Average in coefficient space against a basis, reconstruct: the projection of the mean merge onto the bases.</summary>
    Subspace = 4,
}

/// <summary>Names of <see cref="MergeMethod"/> values as the command line spells them.</summary>
public static class MergeMethods
{
    /// <summary>Every method's name, in enum order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mean", "task-arithmetic", "ties", "dare", "subspace"];

    /// <summary>The method's name.</summary>
    public static string Name(MergeMethod method) => Internal.NameTable.Name(Names, method);

    /// <summary>Parses a method name (ordinal, lower case).</summary>
    public static bool TryParse(string? text, out MergeMethod method) => Internal.NameTable.TryParse(Names, text, out method);
}
