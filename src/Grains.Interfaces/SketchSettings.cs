namespace OrleansUws.Grains.Interfaces;

/// <summary>Which sketch a slice keeps.</summary>
/// <param name="SketchRows">ℓ of the Frequent Directions sketch (its buffer has 2ℓ rows), or s, the test columns of a Nyström sketch.</param>
/// <param name="ExactGramMaxDimension">Keep the exact d×d Gram instead of a sketch when d ≤ this.</param>
/// <param name="LargeLayers">The sketch of rows and columns layers above <paramref name="ExactGramMaxDimension"/> (settings stored before it existed read as Frequent Directions).</param>
[GenerateSerializer, Immutable]
public sealed record SketchSettings(
    [property: Id(0)] int SketchRows,
    [property: Id(1)] int ExactGramMaxDimension,
    [property: Id(2)] LargeLayerSketch LargeLayers = LargeLayerSketch.FrequentDirections);
