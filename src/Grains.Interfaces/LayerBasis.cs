namespace OrleansUws.Grains.Interfaces;

/// <summary>The current basis of one layer and mode, ready for export.</summary>
/// <param name="Info">The version's figures (T, k, energy, certificate, sin θ, centred).</param>
/// <param name="Dimension">d: length of each basis vector (n in rows mode, m in columns mode, m·n in flattened mode: row i is then vec of the i-th eigen-model, row-major m×n).</param>
/// <param name="Vectors">k×d row-major float32: row i is the i-th orthonormal basis vector.</param>
/// <param name="SingularValues">The k singular values σ_i of the (centred) merged sketch, descending (σ_i² = energy along vector i).</param>
/// <param name="Mean">Fleet mean row (length d) when it is tracked (centred bases); null otherwise.</param>
[GenerateSerializer, Immutable]
public sealed record LayerBasis(
    [property: Id(0)] BasisVersionInfo Info,
    [property: Id(1)] int Dimension,
    [property: Id(2)] float[] Vectors,
    [property: Id(3)] double[] SingularValues,
    [property: Id(4)] float[]? Mean);
