using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Utilities;
using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Flattened;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;
using OrleansUws.Grains.State;
using OrleansUws.Grains.Telemetry;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains;

/// <summary>
/// The coordinator of one layer and mode (key <c>{fleet}/{layer}/{mode}</c>). Merges the slices' sketches exactly,
/// computes a warm-started basis (previous basis + random columns), keeps the version history and publishes new
/// versions to grain observers. Not reentrant except for the read-only queries, so versions are computed one at a time.
/// </summary>
[GrainType("uws-layer")]
public sealed partial class LayerCoordinatorGrain : Grain, ILayerCoordinatorGrain, IDisposable
{
    private readonly IPersistentState<LayerCoordinatorState> _state;
    private readonly CovarianceSketchFactory _sketches;
    private readonly SubspaceBasisSolver _solver;
    private readonly SketchWorkers _workers;
    private readonly TimeProvider _time;
    private readonly UwsMetrics _metrics;
    private readonly ILogger<LayerCoordinatorGrain> _logger;
    private readonly ObserverManager<IBasisObserver> _observers;
    private ITimer? _timer;
    private int[]? _sliceCounts;
    private MergedSketch? _merged;
    private (Guid Activation, int Models)[]? _revisions;
    private VersionCapture? _pending;

    /// <summary>Creates the grain (by the runtime).</summary>
    public LayerCoordinatorGrain(
        [PersistentState("layer", UwsStorage.Name)] IPersistentState<LayerCoordinatorState> state,
        CovarianceSketchFactory sketches,
        SubspaceBasisSolver solver,
        SketchWorkers workers,
        [FromKeyedServices(UwsStorage.TimeProviderKey)] TimeProvider time,
        IOptions<UwsClusterOptions> options,
        UwsMetrics metrics,
        ILogger<LayerCoordinatorGrain> logger)
    {
        _state = state;
        _sketches = sketches;
        _solver = solver;
        _workers = workers;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _observers = new ObserverManager<IBasisObserver>(options.Value.ObserverExpiry, logger);
    }

    /// <inheritdoc />
    public async Task ConfigureAsync(LayerConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var key = this.GetPrimaryKeyString();
        if (configuration.CoordinatorKey != key)
        {
            throw new ArgumentException($"Layer coordinator '{key}' was sent the configuration of '{configuration.CoordinatorKey}'.", nameof(configuration));
        }

        if (_state.State.Configuration is { } existing)
        {
            if (existing == configuration)
            {
                return;
            }

            if (_state.State.Current is not null || AbsorbedModels > 0)
            {
                throw new InvalidOperationException($"Layer coordinator '{key}' already has models under another configuration ({existing}).");
            }
        }

        _state.State.Configuration = configuration;
        _sliceCounts = null;
        _merged = null;
        _revisions = null;
        await _state.WriteStateAsync();
        _timer?.Dispose();
        _timer = null;
        StartTimer();
    }

    /// <inheritdoc />
    public async Task<AbsorbResult> AbsorbFlattenedAsync(ModelReference model, LayerConfiguration layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.Mode != SketchMode.Flattened || layer.CoordinatorKey != this.GetPrimaryKeyString())
        {
            throw new ArgumentException($"Layer coordinator '{this.GetPrimaryKeyString()}' was sent a flattened absorb for '{layer.CoordinatorKey}' ({layer.Mode}).", nameof(layer));
        }

        if (_state.State.Configuration is { } configured && configured != layer)
        {
            throw new ArgumentException($"Layer coordinator '{layer.CoordinatorKey}' is configured as {configured}; the request says {layer}.", nameof(layer));
        }

        var ids = _state.State.FlattenedModelIds;
        if (ids.Contains(model.ModelId))
        {
            return new AbsorbResult(model.ModelId, AlreadyAbsorbed: true, RowsAdded: 0, ids.Count);
        }

        // Record the model as soon as every slice holds its row, so a failing shrink cannot put the id set out of step
        // (the next append finishes such a shrink first).
        var flattened = new FlattenedLayer(GrainFactory, _sketches.Backend, layer);
        var full = await flattened.AppendAsync(model, ids.Count);
        ids.Add(model.ModelId);
        _state.State.Configuration ??= layer;
        await _state.WriteStateAsync();
        _metrics.RowsAbsorbed(layer.Fleet, UwsKeys.ModeName(SketchMode.Flattened), 1);
        if (full)
        {
            await flattened.ShrinkAsync();
        }

        return new AbsorbResult(model.ModelId, AlreadyAbsorbed: false, RowsAdded: 1, ids.Count);
    }

    /// <inheritdoc />
    public async Task NotifyAbsorbedAsync(int slice, int sliceModelCount)
    {
        if (_state.State.Configuration is not { } configuration)
        {
            return;
        }

        // Flattened layers count their own (persisted) id set; model slices report per-slice counts.
        if (configuration.Mode != SketchMode.Flattened)
        {
            if (slice < 0 || slice >= configuration.SliceCount)
            {
                return;
            }

            var counts = await SliceCountsAsync(configuration);
            counts[slice] = Math.Max(counts[slice], sliceModelCount);
        }

        if (configuration.Basis is { EveryModels: > 0 } policy && ModelsSinceLastVersion >= policy.EveryModels)
        {
            await ComputeAsync(BasisTrigger.ModelCount);
        }
    }

    /// <inheritdoc />
    public async Task TickAsync()
    {
        // Ask the slices for their current counts (a tick is rare; notifications may still be on their way).
        if (_state.State.Configuration is not { } configuration)
        {
            return;
        }

        var held = configuration.Mode == SketchMode.Flattened
            ? _state.State.FlattenedModelIds.Count
            : (await Task.WhenAll(Slices(configuration).Select(s => s.GetInfoAsync()))).Sum(i => i.ModelCount);
        if (held > (_state.State.Current?.Info.ModelCount ?? 0))
        {
            await ComputeAsync(BasisTrigger.Timer);
        }
    }

    /// <inheritdoc />
    public Task<BasisVersionInfo?> ComputeNowAsync() => ComputeAsync(BasisTrigger.OnDemand);

    /// <inheritdoc />
    public async Task<int> CaptureVersionAsync()
    {
        var state = _state.State;
        if (state.Configuration is not { } configuration)
        {
            return 0;
        }

        if (configuration.Mode == SketchMode.Flattened)
        {
            // The column slices' buffers move with every row: a flattened version is computed before returning.
            return (await ComputeAsync(BasisTrigger.OnDemand))?.ModelCount ?? 0;
        }

        var capture = await CaptureAsync(configuration, BasisTrigger.OnDemand, Stopwatch.GetTimestamp());
        if (capture is null)
        {
            return state.Current?.Info.ModelCount ?? 0;
        }

        _pending = capture;
        this.AsReference<ILayerCoordinatorGrain>().SolvePendingAsync().Ignore();
        return capture.Models;
    }

    /// <inheritdoc />
    public async Task SolvePendingAsync()
    {
        // A version computed meanwhile (it cleared the capture) already covers these models.
        if (_pending is { } capture)
        {
            _pending = null;
            await SolveAsync(capture);
        }
    }

    /// <inheritdoc />
    public Task<LayerStatus> GetStatusAsync()
    {
        var state = _state.State;
        return Task.FromResult(new LayerStatus(
            state.Configuration, AbsorbedModels, ModelsSinceLastVersion, state.Current?.Info, state.History.ToArray()));
    }

    /// <inheritdoc />
    public async Task<LayerBasis?> GetBasisAsync()
    {
        var current = _state.State.Current;
        if (current is null || current.Info.Mode != SketchMode.Flattened)
        {
            return current;
        }

        var signs = _state.State.FlattenedSigns;
        var (vectors, mean) = await new FlattenedLayer(GrainFactory, _sketches.Backend, _state.State.Configuration!).AssembleAsync(current.Info.Version, signs);
        return current with { Vectors = vectors, Mean = mean };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SliceInfo>> GetSlicesAsync()
    {
        if (_state.State.Configuration is not { } configuration)
        {
            return [];
        }

        return configuration.Mode == SketchMode.Flattened
            ? await Task.WhenAll(new FlattenedLayer(GrainFactory, _sketches.Backend, configuration).Slices.Select(s => s.GetInfoAsync()))
            : await Task.WhenAll(Slices(configuration).Select(s => s.GetInfoAsync()));
    }

    /// <inheritdoc />
    public Task SubscribeAsync(IBasisObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task UnsubscribeAsync(IBasisObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        StartTimer();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _metrics.LayerDeactivated(this.GetPrimaryKeyString());
        _timer?.Dispose();
        _timer = null;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => _timer?.Dispose();

    private int AbsorbedModels => _state.State.Configuration?.Mode == SketchMode.Flattened
        ? _state.State.FlattenedModelIds.Count
        : Math.Max(_state.State.AbsorbedModels, _sliceCounts?.Sum() ?? 0);

    private int ModelsSinceLastVersion => Math.Max(0, AbsorbedModels - (_state.State.Current?.Info.ModelCount ?? 0));

    /// <summary>
    /// Models each slice holds, as last reported. An activation starts from the slices' own counts (durable with their
    /// sketches), so the "every N models" count continues across reactivations and silo failures; later reports only
    /// raise a slice's count, so a notification already reflected in it counts nothing twice.
    /// </summary>
    private async ValueTask<int[]> SliceCountsAsync(LayerConfiguration configuration)
    {
        if (_sliceCounts is null)
        {
            var held = await Task.WhenAll(Slices(configuration).Select(s => s.GetInfoAsync()));
            _sliceCounts ??= held.Select(i => i.ModelCount).ToArray();
        }

        return _sliceCounts;
    }

    private IEnumerable<ILayerSliceGrain> Slices(LayerConfiguration c) =>
        Enumerable.Range(0, c.SliceCount).Select(s => GrainFactory.GetGrain<ILayerSliceGrain>(UwsKeys.Slice(c.Fleet, c.Layer, c.Mode, s)));

    private void StartTimer()
    {
        if (_timer is null && _state.State.Configuration?.Basis.Interval is { } interval && interval > TimeSpan.Zero)
        {
            var self = this.AsReference<ILayerCoordinatorGrain>();
            _timer = _time.CreateTimer(static s => ((ILayerCoordinatorGrain)s!).TickAsync(), self, interval, interval);
        }
    }

    private async Task<BasisVersionInfo?> ComputeAsync(BasisTrigger trigger)
    {
        var state = _state.State;
        if (state.Configuration is not { } configuration)
        {
            return null;
        }

        using var activity = UwsMetrics.ActivitySource.StartActivity(UwsTelemetryNames.BasisComputeSpan);
        var started = Stopwatch.GetTimestamp();
        if (configuration.Mode == SketchMode.Flattened)
        {
            return await ComputeFlattenedAsync(configuration, trigger, started);
        }

        _pending = null; // this version covers at least what a pending capture holds
        var capture = await CaptureAsync(configuration, trigger, started);
        return capture is null ? state.Current?.Info : await SolveAsync(capture);
    }

    /// <summary>
    /// Takes a version's input: each slice's sketch since the revision the merge holds. Null (counts synced) when no
    /// model arrived since the current version.
    /// </summary>
    private async Task<VersionCapture?> CaptureAsync(LayerConfiguration configuration, BasisTrigger trigger, long started)
    {
        var state = _state.State;
        var revisions = _revisions ??= new (Guid, int)[configuration.SliceCount];
        var snapshots = await Task.WhenAll(Slices(configuration).Select((s, i) => s.GetSnapshotSinceAsync(revisions[i].Activation, revisions[i].Models)));
        var models = snapshots.Sum(s => s.ModelCount);
        if (_sliceCounts is { } counts)
        {
            foreach (var snapshot in snapshots)
            {
                counts[snapshot.Slice] = Math.Max(counts[snapshot.Slice], snapshot.ModelCount);
            }
        }

        if (models == 0 || (state.Current is { } current && current.Info.ModelCount >= models))
        {
            SyncAbsorbed(models);
            return null;
        }

        return new VersionCapture(configuration, snapshots, models, trigger, started);
    }

    /// <summary>Merges a capture into the layer's kept merge, solves it off the scheduler and publishes the version.</summary>
    private async Task<BasisVersionInfo> SolveAsync(VersionCapture capture)
    {
        var (configuration, snapshots, models, trigger, started) = capture;
        var state = _state.State;
        var merged = _merged ??= new MergedSketch(_sketches, _solver, configuration.SliceCount);
        var revisions = _revisions ??= new (Guid, int)[configuration.SliceCount];
        var previous = state.Current;
        var changed = snapshots.Where(s => !s.Unchanged && s.Sketch.Length > 0).ToArray();
        var result = await _workers.RunAsync(() => MergeAndSolve(configuration, merged, changed, previous));
        _metrics.Layers.MeasureHeldOut(configuration, result.Basis, previous);
        foreach (var snapshot in snapshots)
        {
            revisions[snapshot.Slice] = (snapshot.Activation, snapshot.ModelCount);
        }

        var duration = Stopwatch.GetElapsedTime(started);
        var info = new BasisVersionInfo(
            configuration.Fleet, configuration.Layer, configuration.Mode, (previous?.Info.Version ?? 0) + 1,
            models, snapshots.Sum(s => s.RowCount), result.Basis.Rank, result.Basis.CapReached, result.Basis.ExplainedEnergy,
            result.Basis.Certificate, result.SinThetaToPrevious, configuration.Centered, duration, _time.GetUtcNow(), trigger,
            result.Basis.Aligned ? result.Basis.Alignment : null);
        info = VersionFigures.Complete(info, snapshots, previous, result.Basis.Vectors, result.Basis.SingularValues, result.Basis.Dimension);
        state.Iterations = result.Basis.Iterations;
        return await PublishAsync(configuration, new LayerBasis(info, result.Basis.Dimension, result.Basis.Vectors, result.Basis.SingularValues, result.Mean), models);
    }

    /// <summary>
    /// Flattened mode: the basis is planned here from the summed slice Grams and its vectors stay in the column slices
    /// (see <see cref="FlattenedLayer"/>); the version records the signs, the figures and sin θ from k×k products.
    /// </summary>
    private async Task<BasisVersionInfo?> ComputeFlattenedAsync(LayerConfiguration configuration, BasisTrigger trigger, long started)
    {
        var state = _state.State;
        int models = state.FlattenedModelIds.Count;
        if (models == 0 || (state.Current is { } current && current.Info.ModelCount == models))
        {
            SyncAbsorbed(models);
            return state.Current?.Info;
        }

        var previous = state.Current?.Info;
        int version = (previous?.Version ?? 0) + 1;
        var result = await new FlattenedLayer(GrainFactory, _sketches.Backend, configuration).ComputeBasisAsync(version, previous?.Version ?? 0);
        var info = new BasisVersionInfo(
            configuration.Fleet, configuration.Layer, configuration.Mode, version, models, models, result.Plan.Rank, result.Plan.CapReached,
            result.Plan.ExplainedEnergy, result.Certificate, result.SinTheta, Centered: false, Stopwatch.GetElapsedTime(started), _time.GetUtcNow(), trigger);
        state.FlattenedSigns = result.Signs;
        state.Iterations = 0;
        return await PublishAsync(configuration, new LayerBasis(info, configuration.Dimension, [], result.Plan.SingularValues, null), models);
    }

    private async Task<BasisVersionInfo> PublishAsync(LayerConfiguration configuration, LayerBasis basis, int models)
    {
        var state = _state.State;
        basis = basis with { Info = VersionFigures.WithSpectrum(basis) };
        var info = basis.Info;
        state.Current = basis;
        state.History.Add(info);
        SyncAbsorbed(models);
        await _state.WriteStateAsync();

        _metrics.BasisPublished(info, basis.SingularValues);
        if (configuration.Mode != SketchMode.Flattened)
        {
            // The slices measure each model's held-out capture against the latest version before absorbing it.
            try
            {
                await Task.WhenAll(Slices(configuration).Select(slice => slice.UseBasisAsync(basis)));
            }
            catch (Exception ex) when (ex is OrleansException or TimeoutException)
            {
                LogBasisNotHanded(_logger, this.GetPrimaryKeyString(), info.Version, ex.Message);
            }
        }

        LogPublished(_logger, this.GetPrimaryKeyString(), info.Version, info.ModelCount, info.Rank, info.ExplainedEnergy, info.SinThetaToPrevious);
        _observers.Notify(o => o.OnBasisPublished(info));
        return info;
    }

    /// <summary>Folds the slices' reported counts into the persisted count, never below what the slices hold.</summary>
    private void SyncAbsorbed(int sliceModels) => _state.State.AbsorbedModels = Math.Max(AbsorbedModels, sliceModels);

    /// <summary>
    /// Replaces the parts of the changed slices in the layer's merge (kept between versions: an unchanged slice is not
    /// shipped or read again) and solves it, warm-started from the previous version where the merge iterates.
    /// </summary>
    private static (SubspaceBasis Basis, double? SinThetaToPrevious, float[]? Mean) MergeAndSolve(
        LayerConfiguration configuration, MergedSketch merged, SliceSnapshot[] changed, LayerBasis? previous)
    {
        foreach (var snapshot in changed)
        {
            merged.Set(snapshot.Slice, SketchSummary.Read(snapshot.Sketch));
        }

        if (merged.UnitCount == 0 && merged.RowCount == 0)
        {
            throw new InvalidOperationException($"Layer '{configuration.CoordinatorKey}' has models but no slice sketch.");
        }

        // Published versions are aligned to their predecessor, so coefficients made against it stay close.
        var options = configuration.Basis.ToBasisOptions(configuration.Centered) with { AlignToPrevious = true };
        var warm = previous is null ? null : ToSubspaceBasis(previous);
        var basis = merged.ComputeBasis(options, warm);
        var sinTheta = basis.SinThetaToPrevious;
        if (sinTheta is null && previous is not null)
        {
            sinTheta = SubspaceMetrics.SinThetaMax(basis.Vectors, basis.Rank, previous.Vectors, previous.Info.Rank, basis.Dimension);
        }

        return (basis, sinTheta, merged.Mean());
    }

    /// <summary>A version's input, taken from the slices; solved at once or by <see cref="SolvePendingAsync"/>.</summary>
    private sealed record VersionCapture(LayerConfiguration Configuration, SliceSnapshot[] Snapshots, int Models, BasisTrigger Trigger, long Started);

    private static SubspaceBasis ToSubspaceBasis(LayerBasis b) => new(
        b.Info.Rank, b.Dimension, b.Vectors, b.SingularValues, b.Info.ExplainedEnergy, b.Info.Certificate,
        b.Info.SinThetaToPrevious, Iterations: 0, Converged: true, b.Info.RankCapped, b.Info.Centered, Aligned: false,
        b.Info.RowCount, b.Info.ModelCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Layer {Layer}: basis version {Version} not handed to every slice (held-out capture keeps the previous one there): {Reason}")]
    private static partial void LogBasisNotHanded(ILogger logger, string layer, int version, string reason);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Layer {Layer}: basis version {Version} (T={Models}, k={Rank}, energy={Energy:F4}, sinθ to previous={SinTheta})")]
    private static partial void LogPublished(ILogger logger, string layer, int version, int models, int rank, double energy, double? sinTheta);
}
