namespace OrleansUws.ModelFormats.Fleets;

/// <summary>
/// Tensor names in <c>ground-truth.safetensors</c> (float32), per layer id <c>L</c>. The planted flattened-mode
/// basis of a dense fleet is the k eigen-models vec(u_j v_jᵀ), built from the two bases (not stored).
/// </summary>
public static class GroundTruthKeys
{
    /// <summary>The file name.</summary>
    public const string FileName = ModelReader.GroundTruthFileName;

    /// <summary><c>L.rows_basis</c>, k × n: orthonormal rows v_j spanning the row space (rows mode).</summary>
    public static string RowsBasis(string layerId) => $"{layerId}.rows_basis";

    /// <summary><c>L.columns_basis</c>, k × m: orthonormal rows u_j spanning the column space (columns mode).</summary>
    public static string ColumnsBasis(string layerId) => $"{layerId}.columns_basis";

    /// <summary><c>L.spectrum</c>, k: the planted scales σ_j.</summary>
    public static string Spectrum(string layerId) => $"{layerId}.spectrum";

    /// <summary><c>L.mean</c>, m × n (checkpoints): the fleet mean M.</summary>
    public static string Mean(string layerId) => $"{layerId}.mean";

    /// <summary><c>L.mean_A</c>, r × n (adapters): E[A_t]; E[ΔW_t] = scaling · mean_B · mean_A.</summary>
    public static string MeanA(string layerId) => $"{layerId}.mean_A";

    /// <summary><c>L.mean_B</c>, m × r (adapters): E[B_t].</summary>
    public static string MeanB(string layerId) => $"{layerId}.mean_B";
}
