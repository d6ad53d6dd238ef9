using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// Absorbs a stream of LoRA updates into one sketch using several cores: P independent sketches ("lanes") of the
/// same options each take every P-th model (model t goes to lane t mod P, in order) on its own thread, and
/// <see cref="Complete"/> merges lanes 1…P−1 into lane 0 in that order. Frequent Directions sketches of disjoint
/// models merge with the same guarantee as one sketch of all of them (see <see cref="ICovarianceSketch.Merge"/>);
/// the result is deterministic for a given P. This is what a layer's slice grains do across silos, inside one
/// process. Give the backend one BLAS thread per call (<c>OpenBlasOptions.ThreadsPerCall = 1</c>, the default under
/// <c>AddUwsNumerics</c>): the lanes are the parallelism. Each <see cref="AppendLora"/> call ends when every lane is
/// done, so hand it batches of several shrinks' worth per lane (the benchmark uses 16 models per lane): with one
/// shrink's worth (4 rank-16 adapters at ℓ = 64) the lanes spent 12–15 % of the time waiting at that barrier.
/// </summary>
public sealed class ParallelSketchAbsorber : IDisposable
{
    private readonly ICovarianceSketch[] _lanes;
    private long _models;
    private bool _completed;

    /// <summary>Creates <paramref name="lanes"/> empty sketches described by <paramref name="options"/>.</summary>
    public ParallelSketchAbsorber(CovarianceSketchFactory factory, SketchOptions options, int lanes)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        Guard.Positive(nameof(lanes), lanes);
        _lanes = new ICovarianceSketch[lanes];
        for (int i = 0; i < lanes; i++)
        {
            _lanes[i] = factory.Create(options);
        }
    }

    /// <summary>Number of lanes (sketches absorbing in parallel).</summary>
    public int Lanes => _lanes.Length;

    /// <summary>Models absorbed so far.</summary>
    public long Models => _models;

    /// <summary>
    /// Absorbs <paramref name="batch"/> (each model one unit) and returns when every model is in its lane. The whole
    /// batch is checked first — shapes against the sketch, finite factors and scale — and a bad model throws an
    /// <see cref="ArgumentException"/> naming its index in the batch before any lane changes.
    /// </summary>
    public void AppendLora(IReadOnlyList<LoraFactors> batch, SketchAxis axis)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_completed, this);
        // The checks read every factor once (512 KiB per rank-16 4096×4096 adapter), so they run on the lanes' threads
        // too instead of serially before them, and the lanes do not repeat them. The first bad model by index is reported.
        int dimension = _lanes[0].Dimension;
        var errors = new ArgumentException?[batch.Count];
        Parallel.For(0, batch.Count, new ParallelOptions { MaxDegreeOfParallelism = Lanes }, j =>
        {
            try
            {
                ArgumentNullException.ThrowIfNull(batch[j], "lora");
                batch[j].CheckShape(dimension, axis);
                batch[j].CheckFinite();
            }
            catch (ArgumentException ex)
            {
                errors[j] = ex;
            }
        });
        int bad = Array.FindIndex(errors, e => e is not null);
        if (bad >= 0)
        {
            throw new ArgumentException($"Model {bad} of the batch (model {_models + bad} overall): {errors[bad]!.Message}", nameof(batch), errors[bad]);
        }

        long first = _models;
        Parallel.For(0, Math.Min(Lanes, batch.Count), lane =>
        {
            // The first model of the batch for this lane: the smallest j with (first + j) mod P = lane.
            int start = (int)(((lane - (first % Lanes)) + Lanes) % Lanes);
            for (int j = start; j < batch.Count; j += Lanes)
            {
                _lanes[lane].AppendLora(batch[j], axis, units: 1, factorsChecked: true);
            }
        });
        _models += batch.Count;
    }

    /// <summary>
    /// Merges the lanes into one sketch and hands it over (the caller disposes it); the absorber cannot be used after.
    /// </summary>
    public ICovarianceSketch Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _completed = true;
        var result = _lanes[0];
        for (int i = 1; i < Lanes; i++)
        {
            result.Merge(_lanes[i]);
            _lanes[i].Dispose();
        }

        return result;
    }

    /// <summary>Releases the lanes (not the sketch <see cref="Complete"/> returned).</summary>
    public void Dispose()
    {
        if (!_completed)
        {
            _completed = true;
            foreach (var lane in _lanes)
            {
                lane.Dispose();
            }
        }
    }
}
