namespace OrleansUws.Numerics.Sketching;

/// <summary>The fixed 64-byte header of a serialised sketch (see <see cref="SketchSerializer"/>) and the format version it was read with.</summary>
internal readonly record struct SketchHeader(
    SketchKind Kind,
    MeanMode MeanMode,
    int Dimension,
    int Ell,
    int BufferedRows,
    int ShrinkCount,
    long RowCount,
    long UnitCount,
    double Certificate,
    double Energy,
    ushort Version = SketchSerializer.Version);
