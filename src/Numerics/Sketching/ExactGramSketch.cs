using System.Runtime.InteropServices;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// The exact float64 Gram G = Σ x xᵀ (d×d, 8·d² bytes: 128 MB at d = 4096) with the same API as the Frequent
/// Directions sketch: the reference in tests and a production mode for small layers. Rows are widened once and
/// accumulated with DSYRK; merging adds Grams.
/// </summary>
public sealed class ExactGramSketch : CovarianceSketch
{
    private double[] _gram;

    /// <summary>Creates an empty accumulator for rows of length <paramref name="dimension"/>.</summary>
    public ExactGramSketch(IBlasBackend backend, int dimension, MeanMode meanMode)
        : base(backend, dimension, meanMode)
    {
        if ((long)dimension * dimension > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"An exact {dimension}×{dimension} Gram exceeds the largest .NET array; use Frequent Directions.");
        }

        _gram = new double[dimension * dimension];
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
        using var wide = new PooledArray<double>(count * Dimension);
        for (int i = 0; i < wide.Length; i++)
        {
            wide.Span[i] = rows[i];
        }

        Backend.Syrk(Transpose.Yes, Dimension, count, 1.0, wide.Span, Dimension, 1.0, _gram, Dimension);
    }

    /// <inheritdoc />
    private protected override void AbsorbSketch(CovarianceSketch other)
    {
        var source = ((ExactGramSketch)other)._gram;
        for (int i = 0; i < _gram.Length; i++)
        {
            _gram[i] += source[i];
        }
    }

    /// <inheritdoc />
    private protected override ISymmetricOperator CreateSketchedOperator() => new DenseSymmetricOperator(Backend, (double[])_gram.Clone(), Dimension);

    /// <inheritdoc />
    private protected override int WritePayload(Span<byte> destination)
    {
        MemoryMarshal.AsBytes(_gram.AsSpan()).CopyTo(destination);
        return PayloadLength;
    }

    /// <inheritdoc />
    private protected override void DisposeCore() => _gram = [];
}
