namespace OrleansUws.Grains.Interfaces;

/// <summary>Which sketch a slice keeps.</summary>
/// <param name="SketchRows">ℓ of the Frequent Directions sketch (its buffer has 2ℓ rows).</param>
/// <param name="ExactGramMaxDimension">Keep the exact d×d Gram instead of a sketch when d ≤ this.</param>
[GenerateSerializer, Immutable]
public sealed record SketchSettings(
    [property: Id(0)] int SketchRows,
    [property: Id(1)] int ExactGramMaxDimension);
