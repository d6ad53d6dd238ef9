using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using Orleans.Utilities;
using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Coordination;
using OrleansUws.Grains.Flattened;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;
using OrleansUws.Grains.State;
using OrleansUws.Grains.Telemetry;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains;

/// <summary>
/// The coordinator of one layer and mode (key <c>{fleet}/{layer}/{mode}</c>): counts what its slices hold, takes a
/// version's input by policy, has it merged and solved, keeps the version history and publishes new versions to grain
/// observers. How the models reach it (row/column slices or a flattened layer) is its <see cref="ISketchPath"/>, chosen
/// once from the configured mode. Not reentrant except for the read-only queries, so versions are computed one at a time.
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
    private ISketchPath? _path;
    private VersionHistory? _history;
    private FlattenedIdLog? _flattenedIds;
    private LayerBasis? _current;
    /// <summary>Captured versions not yet solved, oldest first (a capture may come before the previous one is solved).</summary>
    private readonly Queue<PendingVersion> _pending = new();

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
        _path = null;
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

        var state = _state.State;
        if ((await FlattenedIds.AllAsync(state)).Contains(model.ModelId))
        {
            return new AbsorbResult(model.ModelId, AlreadyAbsorbed: true, RowsAdded: 0, state.FlattenedModelCount);
        }

        // The key names the mode, so a configured path is flattened.
        var flattened = Path as FlattenedSketchPath ?? new FlattenedSketchPath(GrainFactory, _sketches.Backend, layer, state);
        await AppendFlattenedAsync(flattened, model, layer);
        return new AbsorbResult(model.ModelId, AlreadyAbsorbed: false, RowsAdded: 1, state.FlattenedModelCount);
    }

    /// <summary>
    /// Appends <paramref name="model"/> as the layer's next row and records it as soon as every slice holds the row, so a
    /// failing shrink cannot put the id set out of step (the next append finishes such a shrink first).
    /// </summary>
    private async Task AppendFlattenedAsync(FlattenedSketchPath flattened, ModelReference model, LayerConfiguration layer)
    {
        var state = _state.State;
        var full = await flattened.Layer.AppendAsync(model, state.FlattenedModelCount);
        await FlattenedIds.AddAsync(state, model.ModelId);
        state.Configuration ??= layer;
        _path ??= flattened;
        await _state.WriteStateAsync();
        _metrics.RowsAbsorbed(layer.Fleet, UwsKeys.ModeName(SketchMode.Flattened), 1);
        if (full)
        {
            await flattened.Layer.ShrinkAsync();
        }
    }

    /// <inheritdoc />
    public async Task<int> RebuildFlattenedAsync(IReadOnlyList<ModelReference> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        if (Path is not FlattenedSketchPath flattened)
        {
            throw new InvalidOperationException($"Layer '{this.GetPrimaryKeyString()}' is not a configured flattened layer.");
        }

        var layer = _state.State.Configuration!;
        await Task.WhenAll(flattened.Layer.Slices.Select(s => s.ResetAsync()));
        await FlattenedIds.ClearAsync(_state.State, () => _state.WriteStateAsync());
        foreach (var model in models)
        {
            await AppendFlattenedAsync(flattened, model, layer);
        }

        return _state.State.FlattenedModelCount;
    }

    /// <inheritdoc />
    public async Task<string?> CheckFlattenedStepAsync()
    {
        if (Path is not FlattenedSketchPath flattened)
        {
            return null;
        }

        var rows = await Task.WhenAll(flattened.Layer.Slices.Select(s => s.FlushAsync()));
        int models = _state.State.FlattenedModelCount;
        return rows.All(r => r == models)
            ? null
            : $"its column slices hold {string.Join(", ", rows)} rows; the layer has {models} models";
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> CheckpointFlattenedAsync(IReadOnlyList<string> modelIds)
    {
        ArgumentNullException.ThrowIfNull(modelIds);
        if (Path is not FlattenedSketchPath flattened)
        {
            return modelIds.ToArray(); // not a configured flattened layer: it holds none of them
        }

        var rows = await Task.WhenAll(flattened.Layer.Slices.Select(s => s.FlushAsync()));
        var held = await FlattenedIds.AllAsync(_state.State);
        return rows.Any(r => r < _state.State.FlattenedModelCount) ? modelIds.ToArray() : modelIds.Where(id => !held.Contains(id)).ToArray();
    }

    /// <inheritdoc />
    public async Task NotifyAbsorbedAsync(int slice, int sliceModelCount)
    {
        if (Path is not { } path || !await path.NotifyAbsorbedAsync(slice, sliceModelCount))
        {
            return;
        }

        if (_state.State.Configuration!.Basis is { EveryModels: > 0 } policy && ModelsSinceLastVersion >= policy.EveryModels)
        {
            await ComputeAsync(BasisTrigger.ModelCount);
        }
    }

    /// <inheritdoc />
    public async Task TickAsync()
    {
        // Ask the slices for their current counts (a tick is rare; notifications may still be on their way).
        if (Path is { } path && await path.CountHeldModelsAsync() > (_state.State.Current?.Info.ModelCount ?? 0))
        {
            await ComputeAsync(BasisTrigger.Timer);
        }
    }

    /// <inheritdoc />
    public Task<BasisVersionInfo?> ComputeNowAsync() => ComputeAsync(BasisTrigger.OnDemand);

    /// <inheritdoc />
    public async Task<BasisVersionInfo?> ModelsRemovedAsync()
    {
        if (Path is not { } path)
        {
            return null;
        }

        // Counts are kept as maxima so that late notifications count nothing twice; a removal is the one time they fall.
        path.ModelsRemoved();
        _state.State.AbsorbedModels = 0;
        return await ComputeAsync(BasisTrigger.Deletion);
    }

    /// <inheritdoc />
    public async Task<int> CaptureVersionAsync(int cut)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cut);
        var state = _state.State;
        if (Path is not { } path)
        {
            return 0;
        }

        if (!path.CapturesAreStable)
        {
            return (await ComputeAsync(BasisTrigger.OnDemand))?.ModelCount ?? 0;
        }

        var pending = await CaptureAsync(path, BasisTrigger.OnDemand, Stopwatch.GetTimestamp(), cut);
        if (pending is null)
        {
            return state.Current?.Info.ModelCount ?? 0;
        }

        _pending.Enqueue(pending);
        this.AsReference<ILayerCoordinatorGrain>().SolvePendingAsync().Ignore();
        return pending.Capture.Models;
    }

    /// <inheritdoc />
    public async Task SolvePendingAsync()
    {
        // One call per capture, oldest first; a version computed meanwhile (it cleared the captures) already covers them.
        if (_pending.TryDequeue(out var pending))
        {
            await SolveAsync(pending);
        }
    }

    /// <inheritdoc />
    public async Task<BasisVersionInfo?> PublishCapturedAsync()
    {
        // The one-way solve calls queued behind this one then find nothing left.
        while (_pending.TryDequeue(out var pending))
        {
            await SolveAsync(pending);
        }

        return _state.State.Current?.Info;
    }

    /// <inheritdoc />
    public async Task<LayerStatus> GetStatusAsync()
    {
        var state = _state.State;
        var history = await History.ReadAllAsync(state);
        return new LayerStatus(state.Configuration, AbsorbedModels, ModelsSinceLastVersion, state.Current?.Info, [.. history]);
    }

    /// <inheritdoc />
    public async Task<LayerBasis?> GetBasisAsync()
    {
        var current = await CurrentBasisAsync();
        return current is not null && Path is { } path ? await path.ReadBasisAsync(current) : current;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SliceInfo>> GetSlicesAsync() => Path is { } path ? await path.GetSlicesAsync() : [];

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
        // A state written before flattened ids were counted (and sealed in parts) holds them all in its set.
        if (_state.State is { FlattenedModelCount: 0, SealedFlattenedIdSegments: 0 } state)
        {
            state.FlattenedModelCount = state.FlattenedModelIds.Count;
        }

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

    /// <summary>The configured layer's path (chosen once from its mode), or null before the fleet configures the layer.</summary>
    private ISketchPath? Path => _path ??= _state.State.Configuration is { } configuration
        ? SketchPaths.For(configuration, GrainFactory, _sketches, _solver, _workers, _metrics.Layers, _state.State)
        : null;

    private int AbsorbedModels => Path?.AbsorbedModels(_state.State.AbsorbedModels) ?? _state.State.AbsorbedModels;

    private FlattenedIdLog FlattenedIds => _flattenedIds ??= new FlattenedIdLog(Storage, this.GetGrainId());

    private IGrainStorage Storage => UwsStorage.Of(ServiceProvider);

    private VersionHistory History => _history ??= new VersionHistory(Storage, this.GetGrainId());

    private int ModelsSinceLastVersion => Math.Max(0, AbsorbedModels - (_state.State.Current?.Info.ModelCount ?? 0));

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
        if (Path is not { } path)
        {
            return null;
        }

        using var activity = UwsMetrics.ActivitySource.StartActivity(UwsTelemetryNames.BasisComputeSpan);
        var started = Stopwatch.GetTimestamp();
        _pending.Clear(); // this version covers at least what a pending capture holds
        var pending = await CaptureAsync(path, trigger, started, cut: 0);
        return pending is null ? _state.State.Current?.Info : await SolveAsync(pending);
    }

    /// <summary>Takes a version's input from the path. Null (counts synced) when no model arrived since the current version.</summary>
    private async Task<PendingVersion?> CaptureAsync(ISketchPath path, BasisTrigger trigger, long started, int cut)
    {
        var capture = await path.CaptureAsync(cut);
        // After a deletion T falls below the current version's, yet a version is due: the current one holds the removed models.
        if (capture.Models == 0 || (trigger != BasisTrigger.Deletion && _state.State.Current is { } current && current.Info.ModelCount >= capture.Models))
        {
            SyncAbsorbed(capture.Models);
            return null;
        }

        return new PendingVersion(capture, trigger, started);
    }

    /// <summary>Solves a captured version (the path merges and solves it) and publishes it.</summary>
    private async Task<BasisVersionInfo> SolveAsync(PendingVersion pending)
    {
        var (capture, trigger, started) = pending;
        var state = _state.State;
        var configuration = state.Configuration!;
        var previous = await CurrentBasisAsync();
        int version = (previous?.Info.Version ?? 0) + 1;
        var solved = await capture.SolveAsync(previous, version);
        var info = new BasisVersionInfo(
            configuration.Fleet, configuration.Layer, configuration.Mode, version, capture.Models, solved.RowCount, solved.Rank,
            solved.RankCapped, solved.ExplainedEnergy, solved.Certificate, solved.SinThetaToPrevious, solved.Centered,
            Stopwatch.GetElapsedTime(started), _time.GetUtcNow(), trigger, solved.Alignment);
        info = VersionFigures.Complete(info, solved.Slices, previous, solved.Vectors, solved.SingularValues, solved.Dimension);
        state.Iterations = solved.Iterations;
        return await PublishAsync(new LayerBasis(info, solved.Dimension, solved.Vectors, solved.SingularValues, solved.Mean), capture.Models);
    }

    private async Task<BasisVersionInfo> PublishAsync(LayerBasis basis, int models)
    {
        var state = _state.State;
        basis = basis with { Info = VersionFigures.WithSpectrum(basis) };
        var info = basis.Info;
        await GrainFactory.GetGrain<IBasisArchiveGrain>(this.GetPrimaryKeyString()).ArchiveAsync(basis);

        // The vectors are in the archive entry just written; the state keeps the figures, σ and the mean.
        _current = basis;
        state.Current = basis with { Vectors = [] };
        await History.AppendAsync(state, info);
        SyncAbsorbed(models);
        await _state.WriteStateAsync();

        _metrics.BasisPublished(info, basis.SingularValues);
        try
        {
            // The slices measure each model's held-out capture against the latest version before absorbing it.
            await Path!.UseBasisAsync(basis);
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException)
        {
            LogBasisNotHanded(_logger, this.GetPrimaryKeyString(), info.Version, ex.Message);
        }

        LogPublished(_logger, this.GetPrimaryKeyString(), info.Version, info.ModelCount, info.Rank, info.ExplainedEnergy, info.SinThetaToPrevious);
        _observers.Notify(o => o.OnBasisPublished(info));
        return info;
    }

    /// <summary>
    /// The current version with its vectors: kept since this activation published it, else read once from the archive
    /// (the state keeps the version without its vectors; states written before kept them, and flattened layers keep
    /// theirs in the column slices, so their state's basis is returned as it is).
    /// </summary>
    private async Task<LayerBasis?> CurrentBasisAsync()
    {
        if (_state.State.Current is not { } stored || stored.Vectors.Length > 0 || stored.Info.Rank == 0 || stored.Info.Mode == SketchMode.Flattened)
        {
            return _state.State.Current;
        }

        if (_current?.Info.Version == stored.Info.Version)
        {
            return _current;
        }

        var archived = await GrainFactory.GetGrain<IBasisArchiveGrain>(this.GetPrimaryKeyString()).GetAsync(stored.Info.Version)
            ?? throw new InvalidOperationException($"Layer '{this.GetPrimaryKeyString()}': the archive no longer holds version {stored.Info.Version}, the current one.");

        // An interleaved read (GetBasisAsync) may return after a newer version was published: keep only the current one.
        if (_state.State.Current?.Info.Version == archived.Info.Version)
        {
            _current = archived;
        }

        return archived;
    }

    /// <summary>Folds the slices' reported counts into the persisted count, never below what the slices hold.</summary>
    private void SyncAbsorbed(int sliceModels) => _state.State.AbsorbedModels = Math.Max(AbsorbedModels, sliceModels);

    /// <summary>A version's input, taken from the slices; solved at once or by <see cref="SolvePendingAsync"/>.</summary>
    private sealed record PendingVersion(VersionCapture Capture, BasisTrigger Trigger, long Started);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Layer {Layer}: basis version {Version} not handed to every slice (held-out capture keeps the previous one there): {Reason}")]
    private static partial void LogBasisNotHanded(ILogger logger, string layer, int version, string reason);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Layer {Layer}: basis version {Version} (T={Models}, k={Rank}, energy={Energy:F4}, sinθ to previous={SinTheta})")]
    private static partial void LogPublished(ILogger logger, string layer, int version, int models, int rank, double energy, double? sinTheta);
}
