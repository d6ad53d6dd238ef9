using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// A slice's sketch handed to its coordinator within the silo (<see cref="SketchBlob.Source"/>): a copy that shares the
/// slice's rows copy-on-write, which the coordinator reads in place and owns from then on.
/// </summary>
internal sealed class HandedSketch(ICovarianceSketch sketch) : ISketchSource
{
    /// <summary>The sketch.</summary>
    public ICovarianceSketch Sketch { get; } = sketch;

    /// <inheritdoc />
    public byte[] Serialize() => Sketch.Serialize();
}
