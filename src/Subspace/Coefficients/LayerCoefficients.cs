namespace OrleansUws.Subspace.Coefficients;

/// <summary>One basis a layer's coefficients were computed against.</summary>
/// <param name="Mode">The basis mode.</param>
/// <param name="Version">Its version: coefficients are refused against any other.</param>
/// <param name="K">The leading vectors used.</param>
public sealed record BasisReference(BasisMode Mode, int Version, int K);

/// <summary>One layer's coefficients.</summary>
/// <param name="Layer">The layer id.</param>
/// <param name="ModulePath">The module path the reconstruction is written under (PEFT keys, dense keys).</param>
/// <param name="Form">The coefficient form.</param>
/// <param name="OutFeatures">m.</param>
/// <param name="InFeatures">n.</param>
/// <param name="Centred">Whether the bases' mean was subtracted (and is added back on reconstruction).</param>
/// <param name="Bases">The bases used, in <see cref="CoefficientForms.RequiredModes"/> order.</param>
/// <param name="Shape">The coefficient tensor's shape: rows [m, k], columns [k, n], two-sided [k_u, k_v], flattened [k].</param>
/// <param name="Values">The coefficients, row-major.</param>
public sealed record LayerCoefficients(
    string Layer,
    string ModulePath,
    CoefficientForm Form,
    int OutFeatures,
    int InFeatures,
    bool Centred,
    IReadOnlyList<BasisReference> Bases,
    int[] Shape,
    float[] Values)
{
    /// <summary>Bytes of the coefficient tensor (float32).</summary>
    public long StoredBytes => (long)Values.Length * sizeof(float);
}

/// <summary>A model's coefficients: what a coefficient file holds.</summary>
/// <param name="Fleet">The fleet whose bases were used.</param>
/// <param name="Model">The model's name (its file or folder name).</param>
/// <param name="Form">The coefficient form of every layer.</param>
/// <param name="Layers">The layers, ordered by id.</param>
public sealed record ModelCoefficients(string Fleet, string Model, CoefficientForm Form, IReadOnlyList<LayerCoefficients> Layers);
