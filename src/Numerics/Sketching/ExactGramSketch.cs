using System.Runtime.InteropServices;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// The exact float64 Gram G = Σ x xᵀ (d×d, 8·d² bytes: 128 MB at d = 4096) with the same API as the Frequent
/// Directions sketch: the reference in tests and a production mode for small layers. Rows are widened once and
/// accumulated with DSYRK; merging adds Grams. Small appends (a LoRA update adds only r rows) are batched in a
/// pending float64 block of up to <see cref="PendingRows"/> rows and folded in with one DSYRK, because a rank-16
/// update of a 4096×4096 Gram is memory-bound; every read (Gram, operator, merge) folds them in first, and a
/// serialisation writes them folded in without folding them into the sketch, so checkpoints do not change its bytes.
/// Unlike Frequent Directions it can subtract a part exactly (<see cref="CovarianceSketch.Subtract"/>): a deleted
/// model leaves it in O(d²) instead of a rebuild from the remaining models.
/// </summary>
public sealed class ExactGramSketch : CovarianceSketch
{
    /// <summary>Most rows held back before one DSYRK folds them into the Gram.</summary>
    public const int PendingRows = 512;

    private double[] _gram;
    private double[] _pending;
    private int _pendingCount;

    /// <summary>Creates an empty accumulator for rows of length <paramref name="dimension"/>.</summary>
    public ExactGramSketch(IBlasBackend backend, int dimension, MeanMode meanMode)
        : base(backend, dimension, meanMode)
    {
        if ((long)dimension * dimension > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"An exact {dimension}×{dimension} Gram exceeds the largest .NET array; use Frequent Directions.");
        }

        _gram = new double[dimension * dimension];
        _pending = new double[Math.Min(PendingRows, Math.Max(1, (1 << 22) / dimension)) * dimension];
    }

    /// <inheritdoc />
    public override SketchKind Kind => SketchKind.ExactGram;

    /// <inheritdoc />
    public override double Certificate => 0;

    /// <inheritdoc />
    private protected override int HeaderEll => 0;

    /// <inheritdoc />
    private protected override int HeaderRows => 0;

    /// <inheritdoc />
    private protected override int HeaderShrinks => 0;

    /// <inheritdoc />
    private protected override int PayloadLength => _gram.Length * sizeof(double);

    /// <summary>Copies G (d×d row-major, what is sketched: uncentred, or the centred scatter in Centre mode).</summary>
    public void CopyGram(Span<double> destination)
    {
        ThrowIfDisposed();
        Guard.Length(nameof(destination), destination.Length, _gram.Length, $"a {Dimension}×{Dimension} Gram");
        Flush();
        _gram.CopyTo(destination);
    }

    internal static ExactGramSketch Restore(IBlasBackend backend, in SketchHeader header, ReadOnlySpan<byte> body, double[] sum)
    {
        var gram = MemoryMarshal.Cast<byte, double>(body);
        foreach (double g in gram)
        {
            if (!double.IsFinite(g))
            {
                throw new SketchFormatException("Sketch blob: the Gram holds a non-finite value.");
            }
        }

        var sketch = new ExactGramSketch(backend, header.Dimension, header.MeanMode);
        gram.CopyTo(sketch._gram);
        sketch.RestoreState(header, sum);
        return sketch;
    }

    /// <inheritdoc />
    private protected override void AbsorbRows(ReadOnlySpan<float> rows, int count)
    {
        int capacity = _pending.Length / Dimension;
        for (int i = 0; i < count; i++)
        {
            if (_pendingCount == capacity)
            {
                Flush();
            }

            var source = rows.Slice(i * Dimension, Dimension);
            var target = _pending.AsSpan(_pendingCount * Dimension, Dimension);
            for (int j = 0; j < Dimension; j++)
            {
                target[j] = source[j];
            }

            _pendingCount++;
        }
    }

    /// <inheritdoc />
    private protected override void AbsorbSketch(CovarianceSketch other)
    {
        Flush();
        System.Numerics.Tensors.TensorPrimitives.Add(_gram, Flushed(other), _gram);
    }

    /// <inheritdoc />
    private protected override void SubtractSketch(CovarianceSketch other)
    {
        Flush();
        System.Numerics.Tensors.TensorPrimitives.Subtract(_gram, Flushed(other), _gram);
    }

    /// <inheritdoc />
    private protected override void SubtractRows(ReadOnlySpan<float> rows, int count)
    {
        // Through the pending block as appends go, a block at a time, each folded in with weight −1.
        Flush();
        int capacity = _pending.Length / Dimension;
        for (int start = 0; start < count; start += capacity)
        {
            int block = Math.Min(capacity, count - start);
            AbsorbRows(rows.Slice(start * Dimension, block * Dimension), block);
            Flush(-1.0);
        }
    }

    /// <inheritdoc />
    private protected override void ClearSketch()
    {
        _pendingCount = 0;
        Array.Clear(_gram);
    }

    /// <inheritdoc />
    private protected override ISymmetricOperator CreateSketchedOperator()
    {
        Flush();
        return new DenseSymmetricOperator(Backend, (double[])_gram.Clone(), Dimension);
    }

    /// <inheritdoc />
    private protected override int WritePayload(Span<byte> destination)
    {
        // The pending rows are folded into the written Gram, not into this one: serialising leaves the sketch as it was,
        // so it folds its rows in at the same points whether or when it is checkpointed or cut (same bytes either way).
        var gram = MemoryMarshal.Cast<byte, double>(destination[..PayloadLength]);
        _gram.CopyTo(gram);
        AddPending(gram, 1.0);
        return PayloadLength;
    }

    /// <inheritdoc />
    private protected override CovarianceSketch CopyCore()
    {
        var copy = new ExactGramSketch(Backend, Dimension, MeanMode);
        _gram.CopyTo(copy._gram, 0);
        _pending.AsSpan(0, _pendingCount * Dimension).CopyTo(copy._pending);
        copy._pendingCount = _pendingCount;
        return copy;
    }

    /// <inheritdoc />
    private protected override void DisposeCore()
    {
        _gram = [];
        _pending = [];
    }

    /// <summary>The Gram of <paramref name="other"/> (an exact-Gram sketch, checked compatible) with its pending rows folded in.</summary>
    private static double[] Flushed(CovarianceSketch other)
    {
        var exact = (ExactGramSketch)other;
        exact.Flush();
        return exact._gram;
    }

    /// <summary>Folds the pending rows into the Gram with one DSYRK, added (or, with weight −1, subtracted).</summary>
    private void Flush(double weight = 1.0)
    {
        AddPending(_gram, weight);
        _pendingCount = 0;
    }

    /// <summary><paramref name="gram"/> += weight·PᵀP for the pending rows P (into G, or the G a serialisation writes).</summary>
    private void AddPending(Span<double> gram, double weight)
    {
        if (_pendingCount > 0)
        {
            Backend.Syrk(Transpose.Yes, Dimension, _pendingCount, weight, _pending, Dimension, 1.0, gram, Dimension);
        }
    }
}
