using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// A slice's state as of a version cut while models of the next cut already arrive: the sketch the slice held when the
/// first model of cut <see cref="Cut"/> + 1 came (a model of cut ≤ <see cref="Cut"/> that arrives later is absorbed here
/// too) and its counts. The slice absorbs the next cut's models into a sketch of their own and merges the two when the
/// cut is captured (<c>GetSnapshotSinceAsync</c> with this cut) or when anything else reads its sketch. So a version
/// captured at a cut holds exactly the models submitted for it, and the next cut's submissions need not wait for it.
/// </summary>
internal sealed class SliceCut(int cut, ICovarianceSketch? frozen, int models, long rows, long independentRows, HeldOutTally heldOut)
{
    /// <summary>The last cut whose models this state holds.</summary>
    public int Cut { get; } = cut;

    /// <summary>The sketch of every model of cut ≤ <see cref="Cut"/> (null while the slice held none).</summary>
    public ICovarianceSketch? Frozen { get; private set; } = frozen;

    /// <summary>Models held.</summary>
    public int Models { get; private set; } = models;

    /// <summary>Rows held.</summary>
    public long Rows { get; private set; } = rows;

    /// <summary>Independent rows held.</summary>
    public long IndependentRows { get; private set; } = independentRows;

    /// <summary>Held-out capture sums of the models held.</summary>
    public HeldOutTally HeldOut { get; private set; } = heldOut;

    /// <summary>
    /// Counts a late model of this cut that <paramref name="sketch"/> absorbed: <see cref="Frozen"/>, or a new sketch
    /// when the cut held none yet (then it becomes <see cref="Frozen"/>).
    /// </summary>
    public void Absorbed(ICovarianceSketch sketch, LayerAbsorption absorbed)
    {
        Frozen = sketch;
        Models++;
        Rows += absorbed.Rows;
        IndependentRows += absorbed.IndependentRows;
        if (absorbed.HeldOut is { } measured)
        {
            HeldOut = HeldOut.Add(measured.Captured, measured.Energy, measured.Version);
        }
    }

    /// <summary>
    /// What <see cref="Settle"/> would give, serialised, leaving the cut open (a checkpoint while the cut's version is not
    /// yet captured): the cut's sketch is copied (serialised and read back by <paramref name="sketches"/>) and <paramref name="next"/> merged into the copy.
    /// </summary>
    public byte[] SerializeWith(ICovarianceSketch? next, CovarianceSketchFactory sketches)
    {
        if (Frozen is null || next is null)
        {
            return (Frozen ?? next)?.Serialize() ?? [];
        }

        using var copy = sketches.Deserialize(Frozen.Serialize());
        copy.Merge(next);
        return copy.Serialize();
    }

    /// <summary>
    /// The cut's sketch with <paramref name="next"/> (the next cut's models) merged in: the slice's whole sketch again.
    /// <paramref name="next"/> is disposed when merged.
    /// </summary>
    public ICovarianceSketch? Settle(ICovarianceSketch? next)
    {
        if (Frozen is not { } frozen)
        {
            return next;
        }

        if (next is not null)
        {
            frozen.Merge(next);
            next.Dispose();
        }

        return frozen;
    }
}
