using OrleansUws.Subspace.Bases;

namespace OrleansUws.Subspace.Coefficients;

/// <summary>A basis and how many of its leading vectors a projection uses.</summary>
/// <param name="Basis">The basis.</param>
/// <param name="K">Leading vectors used, in [1, basis rank].</param>
public sealed record ProjectionBasis(LayerBasisFile Basis, int K);

/// <summary>
/// How one layer is projected: the form and its bases in <see cref="CoefficientForms.RequiredModes"/> order
/// (two-sided: columns basis U, then rows basis V).
/// </summary>
/// <param name="Form">The form.</param>
/// <param name="Bases">The bases.</param>
public sealed record LayerProjection(CoefficientForm Form, IReadOnlyList<ProjectionBasis> Bases)
{
    /// <summary>Whether the bases' mean is subtracted before projecting (every basis of the form is centred).</summary>
    public bool Centred => Bases.All(b => b.Basis.Header.Centred);

    /// <summary>
    /// The projection of <paramref name="layer"/> in <paramref name="form"/> against <paramref name="bases"/>, using
    /// min(<paramref name="k"/>, rank) leading vectors of each basis (all when k is null).
    /// </summary>
    /// <exception cref="KeyNotFoundException">A basis the form needs is absent (named).</exception>
    /// <exception cref="ArgumentException">Two-sided with a centred basis (the form has no mean), or k &lt; 1.</exception>
    public static LayerProjection For(CoefficientForm form, BasisSet bases, string layer, int? k = null)
    {
        ArgumentNullException.ThrowIfNull(bases);
        if (k is < 1)
        {
            throw new ArgumentException($"k is {k}; it must be at least 1.", nameof(k));
        }

        var used = CoefficientForms.RequiredModes(form)
            .Select(mode => bases.Get(layer, mode))
            .Select(b => new ProjectionBasis(b, Math.Min(k ?? b.Rank, b.Rank)))
            .ToArray();
        return Create(form, used);
    }

    /// <summary>Builds and checks a projection from explicit bases.</summary>
    /// <exception cref="ArgumentException">The bases do not match the form's modes, k is out of range, or two-sided with a centred basis.</exception>
    public static LayerProjection Create(CoefficientForm form, IReadOnlyList<ProjectionBasis> bases)
    {
        ArgumentNullException.ThrowIfNull(bases);
        var modes = CoefficientForms.RequiredModes(form);
        if (bases.Count != modes.Count || bases.Select(b => b.Basis.Header.Mode).Where((m, i) => m != modes[i]).Any())
        {
            throw new ArgumentException(
                $"The {CoefficientForms.Name(form)} form needs {string.Join(" and ", modes.Select(BasisModes.Name))} bases; got {string.Join(", ", bases.Select(b => BasisModes.Name(b.Basis.Header.Mode)))}.",
                nameof(bases));
        }

        foreach (var b in bases)
        {
            if (b.K < 1 || b.K > b.Basis.Rank)
            {
                throw new ArgumentException($"k = {b.K} for the {BasisModes.Name(b.Basis.Header.Mode)} basis of layer '{b.Basis.Header.Layer}' is outside [1, {b.Basis.Rank}].", nameof(bases));
            }
        }

        if (form == CoefficientForm.TwoSided && bases.FirstOrDefault(b => b.Basis.Header.Centred) is { } centred)
        {
            throw new ArgumentException(
                $"The two-sided form has no mean term, but the {BasisModes.Name(centred.Basis.Header.Mode)} basis of layer '{centred.Basis.Header.Layer}' is centred; use uncentred bases or the rows/columns form.",
                nameof(bases));
        }

        return new LayerProjection(form, bases);
    }
}
