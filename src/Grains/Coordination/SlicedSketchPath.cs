using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Telemetry;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Coordination;

/// <summary>
/// Rows and columns modes: each of the layer's slices keeps a sketch of the models routed to it and reports its count
/// to the coordinator. A version takes each slice's sketch (within the silo the slice's copy itself, read in place and let
/// go once solved; from another silo its bytes, kept, so that an unchanged slice is not shipped again), replaces those
/// parts of the merge and solves it off the scheduler, warm-started from the previous version and aligned to it.
/// </summary>
internal sealed class SlicedSketchPath(
    IGrainFactory grains, LayerConfiguration layer, CovarianceSketchFactory sketches, SubspaceBasisSolver solver,
    SketchWorkers workers, LayerGaugeStore gauges) : ISketchPath
{
    private readonly ILayerSliceGrain[] _slices = Enumerable.Range(0, layer.SliceCount)
        .Select(s => grains.GetGrain<ILayerSliceGrain>(UwsKeys.Slice(layer.Fleet, layer.Layer, layer.Mode, s)))
        .ToArray();

    private readonly (Guid Activation, int Models)[] _revisions = new (Guid, int)[layer.SliceCount];
    private int[]? _sliceCounts;
    private MergedSketch? _merged;

    /// <inheritdoc />
    public bool CapturesAreStable => true;

    /// <inheritdoc />
    public int AbsorbedModels(int persisted) => Math.Max(persisted, _sliceCounts?.Sum() ?? 0);

    /// <summary>
    /// Counts are per slice and only raised, so a notification already reflected in one counts nothing twice. An
    /// activation starts from the slices' own counts (durable with their sketches), so the "every N models" count
    /// continues across reactivations and silo failures.
    /// </summary>
    public async ValueTask<bool> NotifyAbsorbedAsync(int slice, int sliceModelCount)
    {
        if (slice < 0 || slice >= layer.SliceCount)
        {
            return false;
        }

        if (_sliceCounts is null)
        {
            var held = await Task.WhenAll(_slices.Select(s => s.GetInfoAsync()));
            _sliceCounts ??= held.Select(i => i.ModelCount).ToArray();
        }

        _sliceCounts[slice] = Math.Max(_sliceCounts[slice], sliceModelCount);
        return true;
    }

    /// <inheritdoc />
    public void ModelsRemoved() => _sliceCounts = null;

    /// <inheritdoc />
    public async Task<int> CountHeldModelsAsync() => (await GetSlicesAsync()).Sum(i => i.ModelCount);

    /// <inheritdoc />
    public async Task<VersionCapture> CaptureAsync(int cut)
    {
        var snapshots = await Task.WhenAll(_slices.Select((s, i) => s.GetSnapshotSinceAsync(_revisions[i].Activation, _revisions[i].Models, cut)));
        if (_sliceCounts is { } counts)
        {
            foreach (var snapshot in snapshots)
            {
                counts[snapshot.Slice] = Math.Max(counts[snapshot.Slice], snapshot.ModelCount);
            }
        }

        return new VersionCapture(snapshots.Sum(s => s.ModelCount), (previous, _) => SolveAsync(snapshots, previous));
    }

    /// <inheritdoc />
    public Task<LayerBasis> ReadBasisAsync(LayerBasis current) => Task.FromResult(current);

    /// <inheritdoc />
    public async Task<IReadOnlyList<SliceInfo>> GetSlicesAsync() => await Task.WhenAll(_slices.Select(s => s.GetInfoAsync()));

    /// <inheritdoc />
    public Task UseBasisAsync(LayerBasis basis) => Task.WhenAll(_slices.Select(s => s.UseBasisAsync(basis)));

    /// <summary>Merges the captured snapshots into the layer's kept merge and solves it off the scheduler.</summary>
    private async Task<SolvedVersion> SolveAsync(SliceSnapshot[] snapshots, LayerBasis? previous)
    {
        var merged = _merged ??= new MergedSketch(sketches, solver, layer.SliceCount);
        var changed = snapshots.Where(s => !s.Unchanged && !s.Sketch.IsEmpty).ToArray();
        var (basis, sinTheta, mean) = await workers.RunAsync(() =>
        {
            var solved = MergeAndSolve(layer, merged, changed, previous, measurePreviousCapture: !snapshots.Any(s => s.HeldOut is { Models: > 0 }));

            // A slice's own sketch shares its rows with a part read in place until the part is let go; holding it to the
            // next version would make the slice's next shrink write a buffer of its own. Its next capture ships it
            // again (in place, so at no cost), while a part read from bytes (another silo) is kept.
            foreach (var snapshot in changed.Where(InPlace))
            {
                merged.Remove(snapshot.Slice);
            }

            return solved;
        }, ahead: true);
        gauges.MeasureHeldOut(layer, basis, previous);
        foreach (var snapshot in snapshots)
        {
            _revisions[snapshot.Slice] = InPlace(snapshot) ? default : (snapshot.Activation, snapshot.ModelCount);
        }

        return new SolvedVersion(
            basis.Dimension, snapshots.Sum(s => s.RowCount), basis.Rank, basis.CapReached, basis.ExplainedEnergy, basis.Certificate,
            sinTheta, layer.Centered, basis.Vectors, basis.SingularValues, mean, basis.Aligned ? basis.Alignment : null, basis.Iterations,
            snapshots);
    }

    /// <summary>
    /// Replaces the parts of the changed slices in the layer's merge (kept between versions: an unchanged slice is not
    /// shipped or read again) and solves it, warm-started from the previous version where the merge iterates. The energy the
    /// previous version captures of the merge is measured only when asked: the layer's held-out gauge falls back on it
    /// when no slice streamed a held-out tally for the version (<see cref="LayerGaugeStore.Publish"/>).
    /// </summary>
    private static (SubspaceBasis Basis, double? SinThetaToPrevious, float[]? Mean) MergeAndSolve(
        LayerConfiguration configuration, MergedSketch merged, SliceSnapshot[] changed, LayerBasis? previous, bool measurePreviousCapture)
    {
        foreach (var snapshot in changed)
        {
            // Within the silo the slice's copy itself, read in place; from another silo its bytes.
            var summary = snapshot.Sketch.Source is HandedSketch handed ? SketchSummary.Of(handed.Sketch) : SketchSummary.Read(snapshot.Sketch.Bytes);
            merged.Set(snapshot.Slice, summary);
        }

        if (merged.UnitCount == 0 && merged.RowCount == 0)
        {
            throw new InvalidOperationException($"Layer '{configuration.CoordinatorKey}' has models but no slice sketch.");
        }

        // Published versions are aligned to their predecessor, so coefficients made against it stay close.
        var options = configuration.Basis.ToBasisOptions(configuration.Centered) with { AlignToPrevious = true, MeasurePreviousCapture = measurePreviousCapture };
        var warm = previous is null ? null : ToSubspaceBasis(previous);
        var basis = merged.ComputeBasis(options, warm);
        var sinTheta = basis.SinThetaToPrevious;
        if (sinTheta is null && previous is not null)
        {
            sinTheta = SubspaceMetrics.SinThetaMax(basis.Vectors, basis.Rank, previous.Vectors, previous.Info.Rank, basis.Dimension);
        }

        return (basis, sinTheta, merged.Mean());
    }

    /// <summary>Whether the snapshot carries the slice's sketch itself (same silo) rather than its bytes.</summary>
    private static bool InPlace(SliceSnapshot snapshot) => snapshot.Sketch.Source is HandedSketch;

    private static SubspaceBasis ToSubspaceBasis(LayerBasis b) => new(
        b.Info.Rank, b.Dimension, b.Vectors, b.SingularValues, b.Info.ExplainedEnergy, b.Info.Certificate,
        b.Info.SinThetaToPrevious, Iterations: 0, Converged: true, b.Info.RankCapped, b.Info.Centered, Aligned: false,
        b.Info.RowCount, b.Info.ModelCount);
}
