using System.Buffers;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// Inserts one layer of one model into a sketch. Everything is read (and checked for non-finite values by the
/// reader) before the sketch is touched, so a failed read leaves the sketch unchanged. LoRA adapters are inserted
/// as their low-rank factors (r rows, never ΔW); dense layers as their rows (rows mode) or columns (columns mode).
/// What is read lives in buffers rented from the shared pool for the call, so that ingesting a model allocates no
/// large-object-heap arrays (fresh factors per layer per model would make full collections part of every model's cost).
/// </summary>
public static class ModelLayerAbsorber
{
    /// <summary>
    /// Reads <paramref name="layer"/> from <paramref name="reader"/> and appends it to <paramref name="sketch"/>, measuring
    /// its held-out capture against the basis <paramref name="heldOut"/> holds (when it holds one; a LoRA update through
    /// the rows the sketch forms for it, <see cref="HeldOutMeter.AppendLora"/>).
    /// </summary>
    /// <returns>
    /// The rows the sketch counted (m in rows mode, n in columns mode), the independent rows (r for a LoRA adapter) and
    /// the held-out measurement.
    /// </returns>
    /// <exception cref="ModelFormatException">The file is corrupt, the layer is absent or a value is not finite.</exception>
    /// <exception cref="InvalidDataException">The layer's shape differs from the configured one.</exception>
    public static LayerAbsorption Absorb(IModelReader reader, LayerConfiguration layer, ICovarianceSketch sketch, HeldOutMeter? heldOut = null)
    {
        var info = reader.GetLayer(layer.Layer);
        if (info.OutFeatures != layer.Shape.Rows || info.InFeatures != layer.Shape.Columns)
        {
            throw new InvalidDataException(
                $"{reader.Path}: layer '{layer.Layer}' has shape {info.OutFeatures}×{info.InFeatures}, the fleet's is {layer.Shape}.");
        }

        var before = sketch.RowCount;
        HeldOutSample? measured;
        long independent;
        int m = info.OutFeatures, n = info.InFeatures;
        if (reader.Kind == ModelKind.LoraAdapter)
        {
            int r = info.Rank;
            var a = ArrayPool<float>.Shared.Rent(r * n);
            var b = ArrayPool<float>.Shared.Rent(m * r);
            try
            {
                var scaling = reader.ReadLoraFactors(layer.Layer, a.AsSpan(0, r * n), b.AsSpan(0, m * r));
                var factors = new LoraFactors(b.AsMemory(0, m * r), a.AsMemory(0, r * n), m, r, n, (float)(scaling * r));
                var axis = layer.Mode == SketchMode.Rows ? SketchAxis.Rows : SketchAxis.Columns;
                independent = r;
                if (heldOut is null)
                {
                    sketch.AppendLora(factors, axis);
                    measured = null;
                }
                else
                {
                    measured = heldOut.AppendLora(sketch, factors, axis);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(a);
                ArrayPool<float>.Shared.Return(b);
            }
        }
        else
        {
            var values = ArrayPool<float>.Shared.Rent(m * n);
            try
            {
                var rows = values.AsSpan(0, m * n);
                if (layer.Mode == SketchMode.Rows)
                {
                    reader.ReadRows(layer.Layer, 0, m, rows);
                    measured = heldOut?.MeasureDense(rows, m);
                    independent = m;
                    sketch.AppendRows(rows, m);
                }
                else
                {
                    var transposed = ArrayPool<float>.Shared.Rent(n * m);
                    try
                    {
                        reader.ReadColumns(layer.Layer, 0, n, rows);
                        var columns = transposed.AsSpan(0, n * m);
                        MatrixLayout.Transpose<float>(rows, m, n, columns);
                        measured = heldOut?.MeasureDense(columns, n);
                        independent = n;
                        sketch.AppendRows(columns, n);
                    }
                    finally
                    {
                        ArrayPool<float>.Shared.Return(transposed);
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(values);
            }
        }

        return new LayerAbsorption(sketch.RowCount - before, independent, measured);
    }
}

/// <summary>What <see cref="ModelLayerAbsorber.Absorb"/> added.</summary>
/// <param name="Rows">Rows the sketch counted.</param>
/// <param name="IndependentRows">Independent directions among them: r for a LoRA adapter, the rows otherwise.</param>
/// <param name="HeldOut">The model's held-out capture against the basis held before it was absorbed; null without a basis.</param>
public readonly record struct LayerAbsorption(long Rows, long IndependentRows, HeldOutSample? HeldOut);
