namespace OrleansUws.Subspace;

/// <summary>
/// How a layer's update ΔW (m×n) is expressed against its bases (V: rows basis, n×k; U: columns basis, m×k;
/// E: flattened eigen-models, k×mn; μ: the recorded mean of a centred basis).
/// </summary>
public enum CoefficientForm
{
    /// <summary>C = (ΔW − 1μᵀ)·V (m×k); ΔŴ = C·Vᵀ + 1μᵀ. Needs the layer's rows basis.</summary>
    Rows = 0,

    /// <summary>C = Uᵀ·(ΔW − μ1ᵀ) (k×n); ΔŴ = U·C + μ1ᵀ. Needs the layer's columns basis.</summary>
    Columns = 1,

    /// <summary>C = Uᵀ·ΔW·V (k_u×k_v core); ΔŴ = U·C·Vᵀ. Needs both the rows and the columns basis, uncentred.</summary>
    TwoSided = 2,

    /// <summary>c = E·vec(ΔW − μ) (k scalars); ΔŴ = μ + Eᵀc. Needs the layer's flattened basis.</summary>
    Flattened = 3,
}

/// <summary>Names of <see cref="CoefficientForm"/> values as files, metadata and the command line spell them.</summary>
public static class CoefficientForms
{
    /// <summary>Every form's name, in enum order.</summary>
    public static IReadOnlyList<string> Names { get; } = ["rows", "columns", "two-sided", "flattened"];

    /// <summary>"rows", "columns", "two-sided" or "flattened".</summary>
    public static string Name(CoefficientForm form) => Internal.NameTable.Name(Names, form);

    /// <summary>Parses a form name (ordinal, lower case).</summary>
    public static bool TryParse(string? text, out CoefficientForm form) => Internal.NameTable.TryParse(Names, text, out form);

    /// <summary>The basis modes a form needs, in the order its coefficients use them.</summary>
    public static IReadOnlyList<BasisMode> RequiredModes(CoefficientForm form) => form switch
    {
        CoefficientForm.Rows => [BasisMode.Rows],
        CoefficientForm.Columns => [BasisMode.Columns],
        CoefficientForm.TwoSided => [BasisMode.Columns, BasisMode.Rows],
        CoefficientForm.Flattened => [BasisMode.Flattened],
        _ => throw new ArgumentOutOfRangeException(nameof(form), form, "Unknown coefficient form."),
    };
}
