namespace OrleansUws.Subspace;

/// <summary>
/// Which side of a layer's updates ΔW (m×n) a basis spans. The names are those of the cluster's sketch modes
/// (<c>rows</c>, <c>columns</c>, <c>flattened</c>) and of basis files (<c>{layer}.{mode}.safetensors</c>).
/// </summary>
public enum BasisMode
{
    /// <summary>The basis V spans the rows of ΔW: k orthonormal vectors in R^n (input side; LoRA's A side).</summary>
    Rows = 0,

    /// <summary>The basis U spans the columns of ΔW: k orthonormal vectors in R^m (output side; LoRA's B side).</summary>
    Columns = 1,

    /// <summary>k orthonormal "eigen-models" in R^{m·n} (vec(ΔW), row-major).</summary>
    Flattened = 2,
}

/// <summary>Names of <see cref="BasisMode"/> values as files, metadata and the command line spell them.</summary>
public static class BasisModes
{
    /// <summary>"rows", "columns" or "flattened".</summary>
    public static string Name(BasisMode mode) => mode switch
    {
        BasisMode.Rows => "rows",
        BasisMode.Columns => "columns",
        BasisMode.Flattened => "flattened",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown basis mode."),
    };

    /// <summary>Parses "rows", "columns" or "flattened" (ordinal, lower case).</summary>
    public static bool TryParse(string? text, out BasisMode mode)
    {
        switch (text)
        {
            case "rows":
                mode = BasisMode.Rows;
                return true;
            case "columns":
                mode = BasisMode.Columns;
                return true;
            case "flattened":
                mode = BasisMode.Flattened;
                return true;
            default:
                mode = default;
                return false;
        }
    }
}
