namespace OrleansUws.Numerics.Sketching;

/// <summary>Which side of a weight matrix W (m×n) is sketched.</summary>
public enum SketchAxis
{
    /// <summary>Rows mode: the m rows of W, dimension n; covariance Σ WᵀW.</summary>
    Rows = 0,

    /// <summary>Columns mode: the n columns of W, dimension m; covariance Σ WWᵀ.</summary>
    Columns = 1,
}
