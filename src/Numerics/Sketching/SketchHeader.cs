namespace OrleansUws.Numerics.Sketching;

/// <summary>The fixed 64-byte header of a serialised sketch (see <see cref="SketchSerializer"/>).</summary>
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
    double Energy);
