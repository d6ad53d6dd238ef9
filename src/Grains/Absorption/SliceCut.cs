using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// A slice's state as of a version cut while models of the next cut already arrive: a copy of the sketch the slice held
/// when the first model of cut <see cref="Cut"/> + 1 came (<see cref="ICovarianceSketch.Copy"/>: a Frequent Directions copy
/// shares the sketch's rows copy-on-write), and its counts. The
/// slice goes on absorbing every model into its own sketch; a model of cut ≤ <see cref="Cut"/> that arrives later is
/// absorbed here too. The capture (<c>GetSnapshotSinceAsync</c> with this cut) hands this copy to the coordinator. So a version
/// captured at a cut holds exactly the models submitted for it, the next cut's submissions need not wait for it, and
/// nothing is merged back.
/// </summary>
internal sealed class SliceCut(int cut, ICovarianceSketch? frozen, int models, long rows, long independentRows, HeldOutTally heldOut) : IDisposable
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

    /// <summary>The copy, for its new owner (the cut then holds none).</summary>
    public ICovarianceSketch? HandOver()
    {
        var frozen = Frozen;
        Frozen = null;
        return frozen;
    }

    /// <summary>Drops the copy (unless handed over).</summary>
    public void Dispose() => Frozen?.Dispose();
}
