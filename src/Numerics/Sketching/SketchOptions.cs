namespace OrleansUws.Numerics.Sketching;

/// <summary>What <see cref="CovarianceSketchFactory.Create"/> builds.</summary>
/// <param name="Kind">Frequent Directions, exact Gram or Nyström.</param>
/// <param name="Dimension">Length d of every sketched row.</param>
/// <param name="Ell">Frequent Directions ℓ (the buffer holds 2ℓ rows), or the Nyström sketch's test columns s; ignored for the exact Gram.</param>
/// <param name="MeanMode">Whether and how the mean is tracked.</param>
public sealed record SketchOptions(SketchKind Kind, int Dimension, int Ell, MeanMode MeanMode);
