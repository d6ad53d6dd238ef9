namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// How the weight matrices W_t (m×n) of a layer are turned into rows of a sketch. The mode is part of every
/// layer key (see <see cref="UwsKeys"/>) and is recorded with every basis.
/// </summary>
public enum SketchMode
{
    /// <summary>Each model contributes its m rows; C = Σ W_tᵀW_t (n×n); the basis V spans R^n (d = n). Default for adapters.</summary>
    Rows = 0,

    /// <summary>Each model contributes its n columns; C = Σ W_t W_tᵀ (m×m); the basis U spans R^m (d = m).</summary>
    Columns = 1,

    /// <summary>
    /// Each model is one row vec(W_t) (row-major, length m·n); the basis holds k "eigen-models" (d = m·n). The layer is
    /// split by columns of vec(W) over column-slice grains (slice s owns whole rows of W) that shrink together.
    /// </summary>
    Flattened = 2,
}
