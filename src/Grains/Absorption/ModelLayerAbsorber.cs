using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// Inserts one layer of one model into a sketch. Everything is read (and checked for non-finite values by the
/// reader) before the sketch is touched, so a failed read leaves the sketch unchanged. LoRA adapters are inserted
/// as their low-rank factors (r rows, never ΔW); dense layers as their rows (rows mode) or columns (columns mode).
/// </summary>
public static class ModelLayerAbsorber
{
    /// <summary>Reads <paramref name="layer"/> from <paramref name="reader"/> and appends it to <paramref name="sketch"/>.</summary>
    /// <returns>The rows the sketch counted (m in rows mode, n in columns mode).</returns>
    /// <exception cref="ModelFormatException">The file is corrupt, the layer is absent or a value is not finite.</exception>
    /// <exception cref="InvalidDataException">The layer's shape differs from the configured one.</exception>
    public static long Absorb(IModelReader reader, LayerConfiguration layer, ICovarianceSketch sketch)
    {
        var info = reader.GetLayer(layer.Layer);
        if (info.OutFeatures != layer.Shape.Rows || info.InFeatures != layer.Shape.Columns)
        {
            throw new InvalidDataException(
                $"{reader.Path}: layer '{layer.Layer}' has shape {info.OutFeatures}×{info.InFeatures}, the fleet's is {layer.Shape}.");
        }

        var before = sketch.RowCount;
        int m = info.OutFeatures, n = info.InFeatures;
        if (reader.Kind == ModelKind.LoraAdapter)
        {
            var a = new float[info.Rank * n];
            var b = new float[m * info.Rank];
            var scaling = reader.ReadLoraFactors(layer.Layer, a, b);
            var factors = new LoraFactors(b, a, m, info.Rank, n, (float)(scaling * info.Rank));
            sketch.AppendLora(factors, layer.Mode == SketchMode.Rows ? SketchAxis.Rows : SketchAxis.Columns);
        }
        else if (layer.Mode == SketchMode.Rows)
        {
            var rows = new float[m * n];
            reader.ReadRows(layer.Layer, 0, m, rows);
            sketch.AppendRows(rows, m);
        }
        else
        {
            var columns = new float[m * n];
            reader.ReadColumns(layer.Layer, 0, n, columns);
            var transposed = new float[n * m];
            MatrixLayout.Transpose<float>(columns, m, n, transposed);
            sketch.AppendRows(transposed, n);
        }

        return sketch.RowCount - before;
    }
}
