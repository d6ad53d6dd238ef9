using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// Measures a model's held-out capture before a slice absorbs it: the share of the energy of its samples (the m rows
/// of ΔW in rows mode, its n columns in columns mode; about the basis's mean when the basis is centred) that the
/// layer's current basis V (k×d orthonormal rows) captures, ‖(X − 1μᵀ)Vᵀ‖²_F / ‖X − 1μᵀ‖²_F — a LoRA update through
/// its factors only (<see cref="CapturedEnergy"/>). Holds one basis version (the slice's copy of its coordinator's
/// latest), swapped whole, so a measurement on a worker thread sees one version throughout while the grain takes a
/// newer one.
/// </summary>
public sealed class HeldOutMeter(IBlasBackend backend)
{
    private readonly IBlasBackend _backend = backend ?? throw new ArgumentNullException(nameof(backend));
    private volatile Held? _held;

    /// <summary>The version of the basis held; 0 when none.</summary>
    public int Version => _held?.Version ?? 0;

    /// <summary>
    /// Holds <paramref name="basis"/> when it is newer than the one held and usable here (rows or columns mode, vectors
    /// present); returns whether it was taken. The arrays are kept, not copied (wire types are immutable).
    /// </summary>
    public bool Use(LayerBasis? basis)
    {
        if (basis is not { Info: { Mode: not SketchMode.Flattened, Rank: > 0 } info } || info.Version <= Version
            || basis.Vectors.Length < (long)info.Rank * basis.Dimension)
        {
            return false;
        }

        var mean = info.Centered && basis.Mean is { Length: > 0 } m && m.Length == basis.Dimension ? m : null;
        _held = new Held(basis.Vectors, mean, info.Rank, basis.Dimension, info.Version);
        return true;
    }

    /// <summary>Forgets the basis (the slice was emptied).</summary>
    public void Clear() => _held = null;

    /// <summary>
    /// Captured and total energy of <paramref name="count"/> dense samples (<paramref name="samples"/>, count×d row-major:
    /// the rows of ΔW in rows mode, the rows of ΔWᵀ in columns mode); null when no basis of dimension d is held.
    /// </summary>
    public HeldOutSample? MeasureDense(ReadOnlySpan<float> samples, int count)
    {
        if (_held is not { } held || count < 1 || samples.Length != (long)count * held.Dimension)
        {
            return null;
        }

        var split = CapturedEnergy.OfRows(_backend, samples, count, held.Vectors, held.Rank, held.Dimension, held.Mean);
        return new HeldOutSample(split.Captured, split.Energy, held.Version);
    }

    /// <summary>
    /// Captured and total energy of the LoRA update <paramref name="lora"/> along <paramref name="axis"/> (its rows or its
    /// columns), from the factors; null when no basis of the matching dimension is held.
    /// </summary>
    public HeldOutSample? MeasureLora(LoraFactors lora, SketchAxis axis)
    {
        ArgumentNullException.ThrowIfNull(lora);
        return HeldFor(lora, axis) is { } held ? Measure(held, lora, axis) : null;
    }

    /// <summary>
    /// Appends the LoRA update <paramref name="lora"/> to <paramref name="sketch"/> along <paramref name="axis"/> and
    /// returns its held-out capture against the basis held when the call began (null when none of the matching dimension
    /// is held). An uncentred basis measures the ≤ r rows the sketch forms for the update (their Gram is the update's
    /// covariance, so ‖ΔW·Vᵀ‖² is one r×k product and the energy comes with them); a centred basis, or a sketch that
    /// hands no rows, measures from the factors (<see cref="MeasureLora"/>). The append fails as
    /// <see cref="CovarianceSketchExtensions.AppendLora(ICovarianceSketch, LoraFactors, SketchAxis, int)"/> does, and then
    /// nothing is measured.
    /// </summary>
    public HeldOutSample? AppendLora(ICovarianceSketch sketch, LoraFactors lora, SketchAxis axis)
    {
        ArgumentNullException.ThrowIfNull(sketch);
        ArgumentNullException.ThrowIfNull(lora);
        if (HeldFor(lora, axis) is not { } held)
        {
            sketch.AppendLora(lora, axis);
            return null;
        }

        if (held.Mean is not null)
        {
            var measured = Measure(held, lora, axis);
            sketch.AppendLora(lora, axis);
            return measured;
        }

        EnergySplit? fromRows = null;
        sketch.AppendLora(lora, axis, (rows, count, energy) => fromRows = CapturedEnergy.OfCovarianceRows(rows, count, energy, held.Vectors, held.Rank, held.Dimension));
        return fromRows is { } split ? new HeldOutSample(split.Captured, split.Energy, held.Version) : Measure(held, lora, axis);
    }

    /// <summary>The basis held now when its dimension is the one <paramref name="lora"/> has along <paramref name="axis"/>, else null.</summary>
    private Held? HeldFor(LoraFactors lora, SketchAxis axis) =>
        _held is { } held && held.Dimension == (axis == SketchAxis.Rows ? lora.InFeatures : lora.OutFeatures) ? held : null;

    private HeldOutSample Measure(Held held, LoraFactors lora, SketchAxis axis)
    {
        var split = CapturedEnergy.OfLora(_backend, lora, axis, held.Vectors, held.Rank, held.Mean);
        return new HeldOutSample(split.Captured, split.Energy, held.Version);
    }

    /// <summary>One basis version as the meter uses it: k×d rows, the mean when centred.</summary>
    private sealed record Held(float[] Vectors, float[]? Mean, int Rank, int Dimension, int Version);
}

/// <summary>One model's held-out measurement: the energy of its samples and the part the basis captured.</summary>
/// <param name="Captured">‖(X − 1μᵀ)Vᵀ‖²_F.</param>
/// <param name="Energy">‖X − 1μᵀ‖²_F.</param>
/// <param name="Version">The basis version measured against.</param>
public readonly record struct HeldOutSample(double Captured, double Energy, int Version);
