namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// What a row or column slice keeps for a layer whose dimension d is above <see cref="SketchSettings.ExactGramMaxDimension"/>
/// (smaller layers keep the exact Gram). Flattened layers always keep Frequent Directions column slices.
/// </summary>
public enum LargeLayerSketch
{
    /// <summary>Frequent Directions with ℓ = <see cref="SketchSettings.SketchRows"/> (2ℓ×d float32): a deterministic error bound, but a deleted model rebuilds its slice.</summary>
    FrequentDirections = 0,

    /// <summary>
    /// A Nyström range sketch Y = C·Ω with s = <see cref="SketchSettings.SketchRows"/> test columns (d×s float64): linear
    /// in C, so a deleted model is subtracted in O(d·s) whatever the fleet's size; the error bound is computed after the fact.
    /// </summary>
    Nystrom = 1,
}
