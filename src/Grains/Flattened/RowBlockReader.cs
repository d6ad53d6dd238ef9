using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;

namespace OrleansUws.Grains.Flattened;

/// <summary>
/// Reads a column slice's part of vec(W): rows [start, end) of the layer's W, row-major, which are the columns
/// [start·n, end·n) of vec(W). For a LoRA adapter only that block of ΔW = s·B·A is formed (from rows of B).
/// </summary>
public static class RowBlockReader
{
    /// <summary>Reads and validates rows [start, end) of <paramref name="layer"/>'s matrix.</summary>
    /// <exception cref="InvalidDataException">The layer's shape differs from the fleet's, or a value is not finite (named by row and column of W).</exception>
    /// <exception cref="ModelFormatException">The file is corrupt or the layer is absent.</exception>
    public static float[] Read(IModelReader reader, LayerConfiguration layer, int start, int end)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(layer);
        var info = reader.GetLayer(layer.Layer);
        if (info.OutFeatures != layer.Shape.Rows || info.InFeatures != layer.Shape.Columns)
        {
            throw new InvalidDataException(
                $"{reader.Path}: layer '{layer.Layer}' has shape {info.OutFeatures}×{info.InFeatures}, the fleet's is {layer.Shape}.");
        }

        int n = info.InFeatures;
        var block = new float[(end - start) * n];
        reader.ReadRows(layer.Layer, start, end - start, block);
        for (int i = 0; i < block.Length; i++)
        {
            if (!float.IsFinite(block[i]))
            {
                throw new InvalidDataException(
                    $"{reader.Path}: layer '{layer.Layer}' has the non-finite value {block[i]} at row {start + (i / n)}, column {i % n} of W.");
            }
        }

        return block;
    }
}
