namespace OrleansUws.Numerics.Sketching;

/// <summary>The kind of covariance sketch (also the kind byte of the serialised form).</summary>
public enum SketchKind
{
    /// <summary>Frequent Directions: a float32 2ℓ×d row buffer with a shrinkage certificate.</summary>
    FrequentDirections = 1,

    /// <summary>The exact float64 d×d Gram Σ x xᵀ.</summary>
    ExactGram = 2,

    /// <summary>
    /// A column slice of a Frequent Directions buffer (<see cref="ColumnSliceSketch"/>): 2ℓ rows over a range of the
    /// columns, shrunk in step with the other slices. Not an <see cref="ICovarianceSketch"/>.
    /// </summary>
    ColumnSlice = 3,
}
