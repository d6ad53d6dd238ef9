using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OrleansUws.Grains.Admission;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;
using OrleansUws.Grains.Registry;
using OrleansUws.Grains.State;
using OrleansUws.Grains.Telemetry;

namespace OrleansUws.Grains;

/// <summary>
/// The registry of one fleet (key <c>{fleet}</c>): which models exist and their status, routing of admitted models to
/// their slices, and re-queueing of models a failed silo lost. Admission (reading every layer before any sketch
/// changes) runs in <see cref="IModelAdmissionGrain"/>; the architecture is agreed by <see cref="ArchitectureQuorum"/>
/// unless declared; outliers are judged by <see cref="LayerNormBaseline"/>; records are kept by
/// <see cref="ModelRecordLog"/> (a bounded write per model). Reentrant, so that many submissions fan out at once: every
/// check and state change happens in a synchronous section before or after an await.
/// </summary>
[GrainType("uws-fleet")]
[Reentrant]
public sealed partial class FleetGrain : Grain, IFleetGrain, IDisposable
{
    private readonly IPersistentState<FleetState> _state;
    private readonly UwsClusterOptions _defaults;
    private readonly TimeProvider _time;
    private readonly UwsMetrics _metrics;
    private readonly ILogger<FleetGrain> _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly CutOrder _cutOrder = new();
    private ModelRecordLog _records = null!;
    private FleetAdmission _admission = null!;
    private Task? _coordinatorsReady;
    private long _sliceActivations;
    private long _recorded;
    private bool _rebuilding;

    /// <summary>Creates the grain (by the runtime).</summary>
    public FleetGrain(
        [PersistentState("fleet", UwsStorage.Name)] IPersistentState<FleetState> state,
        IOptions<UwsClusterOptions> defaults,
        [FromKeyedServices(UwsStorage.TimeProviderKey)] TimeProvider time,
        UwsMetrics metrics,
        ILogger<FleetGrain> logger)
    {
        _state = state;
        _defaults = defaults.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    private string Fleet => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _records = new ModelRecordLog(UwsStorage.Of(ServiceProvider), this.GetGrainId(), _defaults.RejectionRecordsKept);
        await _records.LoadAsync();
        _admission = new FleetAdmission(
            Fleet, new LayerNormBaseline(_state.State.NormSamples, _state.State.NormModels),
            TimeSpan.FromSeconds(_defaults.ArchitectureQuorumWaitSeconds), _logger);
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => SaveAsync();

    /// <inheritdoc />
    public async Task<FleetDescription> ConfigureAsync(FleetConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var requested = Resolve(configuration);
        var state = _state.State;
        var counts = _records.Counts;
        if (state.Settings is not null && counts.Absorbed + counts.Queued > 0)
        {
            // Rejected and quarantined models changed no sketch, so until a model is absorbed (or being absorbed) the
            // configuration may still change.
            if (CurrentSettings().Difference(requested) is { } difference)
            {
                throw new InvalidOperationException(
                    $"Fleet '{Fleet}' already has {counts.Absorbed + counts.Queued} models; its configuration can no longer change ({difference}).");
            }

            return Describe();
        }

        Apply(requested);
        state.Layers = new Dictionary<string, LayerShape>(requested.Layers);
        state.CoordinatorsConfigured = false;
        _coordinatorsReady = null;
        _admission.Reconfigured(state.Layers);
        await SaveAsync();
        if (state.Layers.Count > 0)
        {
            await EnsureCoordinatorsConfiguredAsync();
        }

        return Describe();
    }

    /// <inheritdoc />
    public Task<SubmitResult> SubmitAsync(ModelReference model) => SubmitForCutAsync(model, 0);

    /// <inheritdoc />
    public async Task<SubmitResult> SubmitForCutAsync(ModelReference model, int cut)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cut);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(model.ModelId, "model.ModelId");
        ArgumentException.ThrowIfNullOrWhiteSpace(model.Location, "model.Location");
        _metrics.ModelSubmitted(Fleet);
        if (_rebuilding)
        {
            return new SubmitResult(model.ModelId, ModelStatus.Queued, "a deletion or repair is changing the fleet's layers; re-submit", AlreadyKnown: false);
        }

        if (!_inFlight.Add(model.ModelId))
        {
            return new SubmitResult(model.ModelId, ModelStatus.Queued, "already being absorbed", AlreadyKnown: true);
        }

        var turn = _cutOrder.Enter(cut);
        try
        {
            return await AdmitAndAbsorbAsync(model, _time.GetUtcNow(), cut, turn);
        }
        finally
        {
            turn.Done();
            _inFlight.Remove(model.ModelId);
        }
    }

    /// <inheritdoc />
    public async Task<int> ReserveCutsAsync(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var state = _state.State;
        int first = checked(state.CutsReserved + 1);
        state.CutsReserved = checked(state.CutsReserved + count);
        await _state.WriteStateAsync();
        return first;
    }

    /// <inheritdoc />
    public async Task<DeletionResult> DeleteAsync(string modelId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        var record = _records.Get(modelId);
        var layers = LayerConfigurations();
        var refusal = record is not { Status: ModelStatus.Absorbed }
            ? $"model '{modelId}' is {(record is null ? "unknown" : record.Status.ToString().ToLowerInvariant())}; only an absorbed model can be deleted"
            : _rebuilding || _inFlight.Count > 0
                ? $"{_inFlight.Count} models are being absorbed; delete when ingestion is idle"
                : _records.Counts.Absorbed == 1
                    ? $"model '{modelId}' is the fleet's last absorbed model; a basis needs at least one"
                    : null;
        if (refusal is not null)
        {
            return new DeletionResult(modelId, false, refusal, [], _records.Counts.Absorbed, []);
        }

        _rebuilding = true;
        try
        {
            var remaining = _records.All(ModelStatus.Absorbed).Where(r => r.ModelId != modelId).ToArray();
            var removals = await ModelRemoval.RemoveAsync(GrainFactory, layers, new ModelReference(modelId, record!.Location), record.ContentHash, remaining);

            // Every slice has dropped it: each layer's next version, computed now, excludes it.
            await Task.WhenAll(layers.Select(l => GrainFactory.GetGrain<ILayerCoordinatorGrain>(l.CoordinatorKey).ModelsRemovedAsync()));
            var now = _time.GetUtcNow();
            var subtracted = removals.Where(r => r.Subtracted).Select(r => r.Name).ToArray();
            var rebuilt = removals.Where(r => !r.Subtracted).ToArray();
            var reason = $"deleted at {now:O}: {subtracted.Length} layer sketches subtracted it exactly"
                + (rebuilt.Length == 0 ? string.Empty : $"; {string.Join("; ", rebuilt.Select(r => $"{r.Name}: {r.Detail}"))}")
                + $"; new basis versions exclude it ({remaining.Length} models remain)";
            await _records.RecordAsync(record with { Status = ModelStatus.Deleted, Reason = reason, CompletedAt = now });
            LogDeleted(_logger, Fleet, modelId, reason);
            return new DeletionResult(modelId, true, reason, rebuilt.Select(r => r.Name).ToArray(), remaining.Length, subtracted);
        }
        finally
        {
            _rebuilding = false;
        }
    }

    /// <inheritdoc />
    public Task<FleetDescription> GetDescriptionAsync() => Task.FromResult(Describe());

    /// <inheritdoc />
    public Task<ModelRecord?> GetModelAsync(string modelId) => Task.FromResult(_records.Get(modelId));

    /// <inheritdoc />
    public async Task<ModelRecord> RecordQueuedAsync(ModelReference model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(model.ModelId, "model.ModelId");
        ArgumentException.ThrowIfNullOrWhiteSpace(model.Location, "model.Location");
        if (_records.Get(model.ModelId) is { Status: ModelStatus.Queued or ModelStatus.Absorbed } known)
        {
            return known;
        }

        var record = new ModelRecord(model.ModelId, model.Location, ModelStatus.Queued, ModelRecord.WaitingInQueue, _time.GetUtcNow(), null);
        await _records.RecordAsync(record);
        return record;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ModelRecord>> GetModelsAsync(ModelStatus? status = null, int offset = 0, int limit = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return Task.FromResult<IReadOnlyList<ModelRecord>>(_records.All(status).Skip(offset).Take(limit).ToArray());
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> FlushAsync(IReadOnlyList<string> modelIds)
    {
        await _records.FlushAsync(); // an "already absorbed" answer may come from a record whose write failed
        var absorbed = modelIds.Where(id => _records.Get(id) is { Status: ModelStatus.Absorbed }).ToArray();
        var durable = await SliceCheckpoints.FlushAsync(GrainFactory, LayerConfigurations(), absorbed);
        if (durable.Count < absorbed.Length && await RepairFlattenedLayersAsync() > 0)
        {
            durable = await SliceCheckpoints.FlushAsync(GrainFactory, LayerConfigurations(), absorbed);
        }

        return durable;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> RequeueLostModelsAsync()
    {
        var requeued = await RequeueLostAsync(LayerConfigurations().SelectMany(layer => Enumerable.Range(0, layer.SliceCount).Select(slice => (layer, slice))).ToArray());
        await RepairFlattenedLayersAsync();
        return requeued;
    }

    /// <inheritdoc />
    public async Task SliceActivatedAsync(string sliceKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sliceKey);
        _sliceActivations++;
        var (_, layerId, mode, slice) = UwsKeys.ParseSlice(sliceKey);
        var layer = LayerConfigurations().FirstOrDefault(l => l.Layer == layerId && l.Mode == mode);
        if (layer is not null && slice < layer.SliceCount)
        {
            await RequeueLostAsync([(layer, slice)]);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _writeLock.Dispose();

    /// <summary>
    /// Admission, then routing: the model is read in full and checked (architecture agreed first when none is), judged
    /// against the fleet's norms, and only then fanned out, so a defective model changes no sketch.
    /// </summary>
    private async Task<SubmitResult> AdmitAndAbsorbAsync(ModelReference model, DateTimeOffset now, int cut, CutOrder.Turn turn)
    {
        var state = _state.State;
        if (state.Settings is null)
        {
            Apply(Resolve(new FleetConfiguration(Centered: _defaults.Centered)));
        }

        var known = _records.Get(model.ModelId);
        var admission = await GrainFactory.GetGrain<IModelAdmissionGrain>(0).CheckAsync(model, state.Layers.Count > 0 ? state.Layers : null);
        if (known is { Status: ModelStatus.Absorbed })
        {
            return known.ContentHash is null || admission.ContentHash == known.ContentHash
                ? new SubmitResult(model.ModelId, ModelStatus.Absorbed, "already absorbed", AlreadyKnown: true)
                : new SubmitResult(model.ModelId, ModelStatus.Rejected, AdmissionRules.Replaced(known, admission), AlreadyKnown: true);
        }

        if (await _admission.JudgeAsync(model, admission, state, SaveAsync) is { } verdict)
        {
            return await RecordAsync(model, now, verdict.Status, verdict.Reason, admission.ContentHash);
        }

        _records.SetVolatile(new ModelRecord(model.ModelId, model.Location, ModelStatus.Queued, null, now, null, admission.ContentHash));
        return await AbsorbEverywhereAsync(model, now, admission, cut, turn);
    }

    /// <summary>Fans the model out to its slice of every layer and mode, then records the outcome.</summary>
    private async Task<SubmitResult> AbsorbEverywhereAsync(ModelReference model, DateTimeOffset now, AdmissionResult admission, int cut, CutOrder.Turn turn)
    {
        var layers = LayerConfigurations();
        await EnsureCoordinatorsConfiguredAsync();
        using var activity = UwsMetrics.ActivitySource.StartActivity(UwsTelemetryNames.SubmitSpan);
        activity?.SetTag("uws.fleet", Fleet);
        activity?.SetTag("uws.model", model.ModelId);

        var activationsBefore = _sliceActivations;
        // Slices tell their coordinator themselves; the registry only routes and records. A model that some layer failed
        // to absorb stays queued and a re-submission completes it (slices skip what they hold).
        // Sent in cut order (the calls leave when the routing task is created), so a slice meets a cut's models first.
        await turn.EarlierSentAsync();
        var routing = SliceRouting.AbsorbEverywhereAsync(GrainFactory, model, layers, cut);
        turn.Done();
        var (reason, durable) = await routing;
        if (reason is not null)
        {
            await RecordAsync(model, now, ModelStatus.Queued, reason, admission.ContentHash, completed: false);
            LogIncomplete(_logger, Fleet, model.ModelId, reason);
            return new SubmitResult(model.ModelId, ModelStatus.Queued, reason, AlreadyKnown: false);
        }

        _admission.Baseline.Add(model.ModelId, admission.LayerNorms);
        var absorbed = await RecordAsync(model, now, ModelStatus.Absorbed, null, admission.ContentHash) with { Durable = durable };
        if (_sliceActivations != activationsBefore)
        {
            // A slice came back from storage while this model fanned out: had it acknowledged the model before its silo
            // failed, that check ran before the model was recorded absorbed. Check this model's slices again.
            var slice = UwsKeys.SliceOf(model.ModelId, _state.State.Settings!.SliceCount);
            try
            {
                if ((await RequeueLostAsync(layers.Select(l => (l, slice)).ToArray())).Contains(model.ModelId))
                {
                    return new SubmitResult(model.ModelId, ModelStatus.Queued, _records.Get(model.ModelId)!.Reason, AlreadyKnown: false);
                }
            }
            catch (Exception ex)
            {
                // The cluster is failing again; the slice that comes back next reports itself and is checked then.
                LogCheckFailed(_logger, Fleet, model.ModelId, ex.Message);
            }
        }

        return absorbed;
    }

    /// <summary>
    /// Puts every model the registry lists as absorbed but one of <paramref name="slices"/> lost (<see cref="LostModelAudit"/>)
    /// back to queued, with the layers that lost it. The registry is read first: a model absorbed by then was acknowledged
    /// by every slice it belongs to, so a slice that lacks it afterwards has lost it.
    /// </summary>
    private async Task<IReadOnlyList<string>> RequeueLostAsync(IReadOnlyList<(LayerConfiguration Layer, int Slice)> slices)
    {
        var absorbed = _records.Ids(ModelStatus.Absorbed).ToArray();
        var requeued = new List<string>();
        foreach (var (id, layers) in await LostModelAudit.FindAsync(GrainFactory, slices, absorbed))
        {
            if (_records.Get(id) is not { Status: ModelStatus.Absorbed } record)
            {
                continue; // changed while the slices answered
            }

            var reason = $"lost by the sketches of {layers.Count} layer(s) ({string.Join(", ", layers)}) when a silo failed before they were checkpointed; re-submit";
            await _records.RecordAsync(record with { Status = ModelStatus.Queued, Reason = reason, CompletedAt = null });
            requeued.Add(id);
            LogIncomplete(_logger, Fleet, id, reason);
        }

        return requeued;
    }

    /// <summary>
    /// Rebuilds each flattened layer whose column slices are out of step with its coordinator (a column slice's silo failed
    /// before it checkpointed its latest rows: the layer would refuse every new row and name none of its models durable)
    /// from the models the registry lists as absorbed, in the order it recorded them. Only while nothing is being absorbed
    /// (a model absorbed meanwhile would be missing from the list); submissions wait as during a deletion. Returns the
    /// layers rebuilt.
    /// </summary>
    private async Task<int> RepairFlattenedLayersAsync()
    {
        var flattened = LayerConfigurations().Where(l => l.Mode == SketchMode.Flattened).ToArray();
        if (flattened.Length == 0 || _rebuilding || _inFlight.Count > 0)
        {
            return 0;
        }

        _rebuilding = true;
        try
        {
            int repaired = 0;
            foreach (var layer in flattened)
            {
                var coordinator = GrainFactory.GetGrain<ILayerCoordinatorGrain>(layer.CoordinatorKey);
                if (await coordinator.CheckFlattenedStepAsync() is not { } problem)
                {
                    continue;
                }

                var models = _records.All(ModelStatus.Absorbed).Select(r => new ModelReference(r.ModelId, r.Location)).ToArray();
                await coordinator.RebuildFlattenedAsync(models);
                LogFlattenedRebuilt(_logger, layer.CoordinatorKey, problem, models.Length);
                repaired++;
            }

            return repaired;
        }
        finally
        {
            _rebuilding = false;
        }
    }

    /// <summary>Records the model's new status durably and reports it.</summary>
    private async Task<SubmitResult> RecordAsync(
        ModelReference model, DateTimeOffset submittedAt, ModelStatus status, string? reason, string? contentHash, bool completed = true)
    {
        await _records.RecordAsync(new ModelRecord(model.ModelId, model.Location, status, reason, submittedAt, completed ? _time.GetUtcNow() : null, contentHash));
        switch (status)
        {
            case ModelStatus.Absorbed:
                _metrics.ModelAbsorbed(Fleet, model.Location, _time.GetUtcNow() - submittedAt);
                break;
            case ModelStatus.Rejected or ModelStatus.Quarantined:
                _metrics.ModelRejected(Fleet, reason ?? status.ToString());
                LogRejected(_logger, Fleet, model.ModelId, status, reason);
                break;
        }

        if (++_recorded % ModelRecordLog.SegmentCapacity == 0)
        {
            await SaveAsync(); // the outlier baseline, now and then (it is a sample, not a record)
        }

        return new SubmitResult(model.ModelId, status, reason, AlreadyKnown: false);
    }

    private Task EnsureCoordinatorsConfiguredAsync()
    {
        if (_state.State.CoordinatorsConfigured)
        {
            return Task.CompletedTask;
        }

        return _coordinatorsReady ??= ConfigureCoordinatorsAsync();

        async Task ConfigureCoordinatorsAsync()
        {
            try
            {
                await SliceRouting.ConfigureCoordinatorsAsync(GrainFactory, LayerConfigurations());
            }
            catch
            {
                _coordinatorsReady = null; // let the next submission try again
                throw;
            }

            _state.State.CoordinatorsConfigured = true;
            await SaveAsync();
        }
    }

    private IReadOnlyList<LayerConfiguration> LayerConfigurations() => _state.State.Settings is null ? [] : CurrentSettings().LayerConfigurations(Fleet);

    private async Task SaveAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            _state.State.NormSamples = _admission.Baseline.Samples;
            _state.State.NormModels = _admission.Baseline.Models;
            await _state.WriteStateAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void Apply(FleetSettings settings) => _state.State.Settings = settings;

    private FleetSettings CurrentSettings() => _state.State.Settings!.WithArchitecture(_state.State.Layers);

    private FleetSettings Resolve(FleetConfiguration configuration) =>
        FleetSettings.Resolve(configuration, _defaults, $"fleet '{Fleet}'");

    private FleetDescription Describe()
    {
        var settings = _state.State.Settings is not null ? CurrentSettings() : Resolve(new FleetConfiguration(Centered: _defaults.Centered));
        return new FleetDescription(
            Fleet, settings.Modes, settings.Centered,
            settings.Layers.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new LayerEntry(p.Key, p.Value)).ToArray(),
            settings.SliceCount, settings.Sketch, settings.Basis, _records.Counts, settings.FlattenedSliceCount,
            settings.ArchitectureQuorum, settings.OutlierFactor);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fleet {Fleet}: model {ModelId} {Reason}")]
    private static partial void LogDeleted(ILogger logger, string fleet, string modelId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Flattened layer {Layer} was out of step ({Problem}): rebuilt from the {Models} absorbed models")]
    private static partial void LogFlattenedRebuilt(ILogger logger, string layer, string problem, int models);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet {Fleet}: model {ModelId} stays queued: {Reason}")]
    private static partial void LogIncomplete(ILogger logger, string fleet, string modelId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet {Fleet}: could not check the slices of model {ModelId} again: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string fleet, string modelId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet {Fleet}: model {ModelId} {Status}: {Reason}")]
    private static partial void LogRejected(ILogger logger, string fleet, string modelId, ModelStatus status, string? reason);
}
