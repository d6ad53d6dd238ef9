using OrleansUws.Numerics.Basis;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// A streaming summary of Σ x xᵀ (or of the centred scatter) over the rows absorbed so far: Frequent Directions
/// the exact Gram, or a Nyström range sketch. Appends and merges validate everything before changing state, so a rejected call leaves
/// the sketch unchanged. Not thread-safe: one writer at a time (a grain).
/// </summary>
public interface ICovarianceSketch : IDisposable
{
    /// <summary>Frequent Directions, exact Gram or Nyström.</summary>
    SketchKind Kind { get; }

    /// <summary>d, the length of every sketched row.</summary>
    int Dimension { get; }

    /// <summary>Whether and how the mean is tracked.</summary>
    MeanMode MeanMode { get; }

    /// <summary>Rows absorbed (a LoRA update in rows mode counts its m rows; correction rows are not counted).</summary>
    long RowCount { get; }

    /// <summary>Units (models) absorbed: the sum of the <c>units</c> arguments of appends, added on merge.</summary>
    long UnitCount { get; }

    /// <summary>Exact Σ‖x‖² of what is sketched (the trace of the centred scatter in <see cref="MeanMode.Centre"/>).</summary>
    double TotalEnergy { get; }

    /// <summary>
    /// Frequent Directions: the total shrinkage Σδ, carried through merges; 0 ≤ BᵀB ≼ AᵀA and
    /// ‖AᵀA − BᵀB‖₂ ≤ Certificate. Exact Gram: 0.
    /// </summary>
    double Certificate { get; }

    /// <summary>Exact energy of the uncentred (Σ‖x‖²) or centred (Σ‖x − μ‖²) stream.</summary>
    /// <exception cref="InvalidOperationException">Centred energy asked of a <see cref="MeanMode.None"/> sketch.</exception>
    double Energy(bool centred);

    /// <summary>Copies the running mean (d values; zeros before the first row).</summary>
    /// <exception cref="InvalidOperationException">The sketch keeps no mean (<see cref="MeanMode.None"/>).</exception>
    void CopyMean(Span<double> destination);

    /// <summary>Absorbs <paramref name="rowCount"/> rows (row-major, rowCount×d). Rejects empty, mis-sized or non-finite input.</summary>
    void AppendRows(ReadOnlySpan<float> rows, int rowCount, int units = 1);

    /// <summary>
    /// Absorbs the rowCount rows of scale·left·right without forming them: left is rowCount×rank, right is
    /// rank×d. Inserts the ≤ rank rows F·right with FᵀF = scale²·leftᵀleft (exact: same Σ x xᵀ, same mean).
    /// </summary>
    void AppendLowRank(ReadOnlySpan<float> left, int rowCount, int rank, ReadOnlySpan<float> right, float scale, int units = 1);

    /// <summary>
    /// Absorbs everything <paramref name="other"/> has seen (same kind, dimension, mean mode, and ℓ for Frequent
    /// Directions); counts, units, energies and certificates add, means combine exactly. <paramref name="other"/> is unchanged.
    /// </summary>
    void Merge(ICovarianceSketch other);

    /// <summary>Whether <see cref="Subtract"/> is exact for this kind (the exact Gram and the linear Nyström sketch); Frequent Directions cannot subtract.</summary>
    bool CanSubtract { get; }

    /// <summary>
    /// Removes everything <paramref name="other"/> has seen, as if it had never been merged or appended: the inverse of
    /// <see cref="Merge"/> (same checks). Counts, units and energy fall by <paramref name="other"/>'s; in
    /// <see cref="MeanMode.Centre"/> the between-group term of the two parts is removed too, so the centred scatter is the
    /// remaining rows' own. <paramref name="other"/> must be a part of this sketch (for example the same model's rows
    /// appended to a fresh sketch): subtracting rows that were never absorbed leaves a matrix that is no Gram.
    /// </summary>
    /// <exception cref="InvalidOperationException">This kind cannot subtract (<see cref="CanSubtract"/> is false).</exception>
    /// <exception cref="ArgumentException">Incompatible, or <paramref name="other"/> holds more rows or units than this sketch.</exception>
    void Subtract(ICovarianceSketch other);

    /// <summary>The sketched operator: uncentred Σ x xᵀ or centred scatter (mean correction applied as a rank-one term).</summary>
    /// <exception cref="InvalidOperationException">Centred asked of a <see cref="MeanMode.None"/> sketch.</exception>
    ISymmetricOperator CreateOperator(bool centred);

    /// <summary>The versioned, checksummed binary form; <see cref="SketchSerializer.Deserialize"/> reads it back bit-exactly.</summary>
    byte[] Serialize();

    /// <summary>
    /// An independent copy, bit-exact (rows, counts, energy, mean sums, shrink state), made without serialising: absorbing
    /// into either afterwards leaves the other as it was. The caller disposes it.
    /// </summary>
    ICovarianceSketch Copy();
}
