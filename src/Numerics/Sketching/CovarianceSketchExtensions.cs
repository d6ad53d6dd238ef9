using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Sketching;

/// <summary>LoRA-shaped appends on top of <see cref="ICovarianceSketch.AppendLowRank"/>.</summary>
public static class CovarianceSketchExtensions
{
    /// <summary>
    /// Absorbs ΔW = (α/r)·B·A without forming it. <see cref="SketchAxis.Rows"/>: the m rows of ΔW (sketch
    /// dimension n = InFeatures), inserted as R·A with RᵀR = (α/r)²BᵀB. <see cref="SketchAxis.Columns"/>: the n
    /// columns of ΔW (sketch dimension m = OutFeatures), the symmetric form with the roles of B and A swapped.
    /// </summary>
    public static void AppendLora(this ICovarianceSketch sketch, LoraFactors lora, SketchAxis axis, int units = 1)
        => AppendLora(sketch, lora, axis, units, factorsChecked: false);

    /// <summary>
    /// <see cref="AppendLora(ICovarianceSketch, LoraFactors, SketchAxis, int)"/> that also hands the rows it forms (≤ r
    /// rows carrying ΔW's Σ x xᵀ along <paramref name="axis"/>, and ‖ΔW‖²) to <paramref name="formed"/>. Only this
    /// library's host sketches that do not centre batches form such rows; for any other sketch
    /// <paramref name="formed"/> is not called, and the caller measures from the factors instead.
    /// </summary>
    public static void AppendLora(this ICovarianceSketch sketch, LoraFactors lora, SketchAxis axis, FormedRowsHandler formed, int units = 1)
    {
        ArgumentNullException.ThrowIfNull(formed);
        AppendLora(sketch, lora, axis, units, factorsChecked: false, formed);
    }

    /// <summary>
    /// <see cref="AppendLora(ICovarianceSketch, LoraFactors, SketchAxis, int)"/> for factors the caller has already
    /// checked with <see cref="LoraFactors.CheckFinite"/>: a <see cref="CovarianceSketch"/> then skips its own check.
    /// </summary>
    internal static void AppendLora(this ICovarianceSketch sketch, LoraFactors lora, SketchAxis axis, int units, bool factorsChecked, FormedRowsHandler? formed = null)
    {
        ArgumentNullException.ThrowIfNull(sketch);
        ArgumentNullException.ThrowIfNull(lora);
        lora.CheckShape(sketch.Dimension, axis);
        if (axis == SketchAxis.Rows)
        {
            AppendLowRank(sketch, lora.B.Span, lora.OutFeatures, lora.Rank, lora.A.Span, lora.Scale, units, factorsChecked, formed);
            return;
        }

        // Columns of ΔW are the rows of ΔWᵀ = (α/r)·Aᵀ·Bᵀ: left = Aᵀ (n×r), right = Bᵀ (r×m).
        using var left = new PooledArray<float>(lora.InFeatures * lora.Rank);
        using var right = new PooledArray<float>(lora.Rank * lora.OutFeatures);
        MatrixLayout.Transpose<float>(lora.A.Span, lora.Rank, lora.InFeatures, left.Span);
        MatrixLayout.Transpose<float>(lora.B.Span, lora.OutFeatures, lora.Rank, right.Span);
        AppendLowRank(sketch, left.Span, lora.InFeatures, lora.Rank, right.Span, lora.Scale, units, factorsChecked, formed);
    }

    private static void AppendLowRank(ICovarianceSketch sketch, ReadOnlySpan<float> left, int rowCount, int rank, ReadOnlySpan<float> right, float scale, int units, bool factorsChecked, FormedRowsHandler? formed)
    {
        if ((factorsChecked || formed is not null) && sketch is CovarianceSketch own)
        {
            own.AppendLowRank(left, rowCount, rank, right, scale, units, factorsChecked, formed);
        }
        else
        {
            sketch.AppendLowRank(left, rowCount, rank, right, scale, units);
        }
    }
}
