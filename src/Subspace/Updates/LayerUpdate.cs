namespace OrleansUws.Subspace.Updates;

/// <summary>
/// One layer's update ΔW (m×n, row-major float32), dense or as low-rank factors ΔW = Scale·B·A (B: m×r, A: r×n) —
/// a LoRA layer as PEFT stores it, or a rank-k reconstruction. Factored updates are never multiplied out by this
/// library where the factors suffice (norms, inner products, projections).
/// </summary>
public sealed class LayerUpdate
{
    private LayerUpdate(int outFeatures, int inFeatures, float[]? dense, float[]? b, float[]? a, int rank, float scale)
    {
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        DenseValues = dense;
        B = b;
        A = a;
        Rank = rank;
        Scale = scale;
    }

    /// <summary>m.</summary>
    public int OutFeatures { get; }

    /// <summary>n.</summary>
    public int InFeatures { get; }

    /// <summary>The m×n values of a dense update; null for a factored one.</summary>
    public float[]? DenseValues { get; }

    /// <summary>B (m×r) of a factored update; null for a dense one.</summary>
    public float[]? B { get; }

    /// <summary>A (r×n) of a factored update; null for a dense one.</summary>
    public float[]? A { get; }

    /// <summary>r of a factored update; 0 for a dense one.</summary>
    public int Rank { get; }

    /// <summary>The scale s of ΔW = s·B·A (α/r for LoRA); 1 for a dense update.</summary>
    public float Scale { get; }

    /// <summary>Whether the update is held as factors.</summary>
    public bool IsFactored => B is not null;

    /// <summary>A dense update.</summary>
    /// <exception cref="ArgumentException">The length is not m·n.</exception>
    public static LayerUpdate Dense(int outFeatures, int inFeatures, float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        if (values.Length != (long)outFeatures * inFeatures)
        {
            throw new ArgumentException($"A dense {outFeatures}×{inFeatures} update needs {(long)outFeatures * inFeatures} values; got {values.Length}.", nameof(values));
        }

        return new LayerUpdate(outFeatures, inFeatures, values, null, null, 0, 1);
    }

    /// <summary>A factored update s·B·A.</summary>
    /// <exception cref="ArgumentException">A factor's length disagrees with m, r, n; the message names it.</exception>
    public static LayerUpdate Factored(int outFeatures, int rank, int inFeatures, float[] b, float[] a, float scale = 1)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        if (b.Length != (long)outFeatures * rank)
        {
            throw new ArgumentException($"B of a {outFeatures}×{inFeatures} rank-{rank} update needs {(long)outFeatures * rank} values; got {b.Length}.", nameof(b));
        }

        if (a.Length != (long)rank * inFeatures)
        {
            throw new ArgumentException($"A of a {outFeatures}×{inFeatures} rank-{rank} update needs {(long)rank * inFeatures} values; got {a.Length}.", nameof(a));
        }

        if (!float.IsFinite(scale))
        {
            throw new ArgumentException($"The scale is {scale}; it must be finite.", nameof(scale));
        }

        return new LayerUpdate(outFeatures, inFeatures, null, b, a, rank, scale);
    }

    /// <summary>Elements stored: m·n dense, r·(m + n) factored.</summary>
    public long StoredElements => IsFactored ? (long)Rank * (OutFeatures + InFeatures) : (long)OutFeatures * InFeatures;

    /// <summary>Whether <paramref name="other"/> has the same m×n.</summary>
    public bool SameShape(LayerUpdate other) => other is not null && other.OutFeatures == OutFeatures && other.InFeatures == InFeatures;

    /// <summary>The shape as text, "m×n".</summary>
    public string ShapeText => $"{OutFeatures}×{InFeatures}";
}
