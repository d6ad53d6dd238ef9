namespace OrleansUws.Numerics.Sketching;

/// <summary>What a sketch records about the mean of the rows it absorbs. Always recorded with a basis, never implicit.</summary>
public enum MeanMode
{
    /// <summary>No mean kept: only the uncentred Σ x xᵀ is sketched (saves d doubles: 128 MB for a flattened 4096×4096 layer).</summary>
    None = 0,

    /// <summary>The uncentred Σ x xᵀ is sketched and the running mean kept beside it (adapters: the base model is the origin).</summary>
    Track = 1,

    /// <summary>
    /// The centred scatter Σ (x − μ)(x − μ)ᵀ is sketched: each batch is centred on its own mean and the exact
    /// correction row √(n₁n₂/(n₁+n₂))(μ₁ − μ₂) is appended; the running mean is kept.
    /// </summary>
    Centre = 2,
}
