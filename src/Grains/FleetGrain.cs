using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;
using OrleansUws.Grains.State;
using OrleansUws.Grains.Telemetry;
using OrleansUws.ModelFormats;
using FormatsArchitecture = OrleansUws.ModelFormats.ModelArchitecture;
using FormatsShape = OrleansUws.ModelFormats.LayerShape;

namespace OrleansUws.Grains;

/// <summary>
/// The registry of one fleet (key <c>{fleet}</c>). Reentrant, so that many submissions fan out at once: every check
/// and every state change happens in a synchronous section before or after an await, and writes are serialised.
/// </summary>
[GrainType("uws-fleet")]
[Reentrant]
public sealed partial class FleetGrain : Grain, IFleetGrain, IDisposable
{
    private readonly IPersistentState<FleetState> _state;
    private readonly UwsClusterOptions _defaults;
    private readonly ModelReaderCache _readers;
    private readonly TimeProvider _time;
    private readonly UwsMetrics _metrics;
    private readonly ILogger<FleetGrain> _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly HashSet<string> _inFlight = [];
    private Task? _coordinatorsReady;
    private long _sliceActivations;

    /// <summary>Creates the grain (by the runtime).</summary>
    public FleetGrain(
        [PersistentState("fleet", UwsStorage.Name)] IPersistentState<FleetState> state,
        IOptions<UwsClusterOptions> defaults,
        ModelReaderCache readers,
        [FromKeyedServices(UwsStorage.TimeProviderKey)] TimeProvider time,
        UwsMetrics metrics,
        ILogger<FleetGrain> logger)
    {
        _state = state;
        _defaults = defaults.Value;
        _readers = readers;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    private string Fleet => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public async Task<FleetDescription> ConfigureAsync(FleetConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var requested = Resolve(configuration);
        var state = _state.State;
        if (state.Configured && state.Models.Count > 0)
        {
            var current = CurrentSettings();
            if (!requested.SameAs(current))
            {
                throw new InvalidOperationException(
                    $"Fleet '{Fleet}' already has {state.Models.Count} models; its configuration can no longer change ({current.Difference(requested)}).");
            }

            return Describe();
        }

        Apply(requested);
        state.Layers = new Dictionary<string, Interfaces.LayerShape>(requested.Layers);
        state.CoordinatorsConfigured = false;
        _coordinatorsReady = null;
        await SaveAsync();
        if (state.Layers.Count > 0)
        {
            await EnsureCoordinatorsConfiguredAsync();
        }

        return Describe();
    }

    /// <inheritdoc />
    public async Task<SubmitResult> SubmitAsync(ModelReference model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(model.ModelId, "model.ModelId");
        ArgumentException.ThrowIfNullOrWhiteSpace(model.Location, "model.Location");
        var state = _state.State;
        var now = _time.GetUtcNow();
        _metrics.ModelSubmitted(Fleet);
        if (state.Models.TryGetValue(model.ModelId, out var known))
        {
            switch (known.Status)
            {
                case ModelStatus.Absorbed:
                    return new SubmitResult(model.ModelId, ModelStatus.Absorbed, "already absorbed", AlreadyKnown: true);
                case ModelStatus.Queued when _inFlight.Contains(model.ModelId):
                    return new SubmitResult(model.ModelId, ModelStatus.Queued, "already being absorbed", AlreadyKnown: true);
            }

            // Rejected before, or left queued by an activation that died mid-way: absorb again (slices skip what they hold).
        }

        // Synchronous section: open the header, check it against (or set) the architecture, record "queued".
        var problem = CheckHeader(model);
        if (problem is not null)
        {
            return await RecordRejectionAsync(model, now, problem);
        }

        state.Models[model.ModelId] = new ModelRecord(model.ModelId, model.Location, ModelStatus.Queued, null, now, null);
        _inFlight.Add(model.ModelId);
        try
        {
            return await AbsorbEverywhereAsync(model, now);
        }
        finally
        {
            _inFlight.Remove(model.ModelId);
        }
    }

    /// <inheritdoc />
    public Task<FleetDescription> GetDescriptionAsync() => Task.FromResult(Describe());

    /// <inheritdoc />
    public Task<ModelRecord?> GetModelAsync(string modelId) =>
        Task.FromResult(_state.State.Models.GetValueOrDefault(modelId));

    /// <inheritdoc />
    public Task<IReadOnlyList<ModelRecord>> GetModelsAsync(ModelStatus? status = null) =>
        Task.FromResult<IReadOnlyList<ModelRecord>>(_state.State.Models.Values
            .Where(m => status is null || m.Status == status)
            .OrderBy(m => m.SubmittedAt)
            .ThenBy(m => m.ModelId, StringComparer.Ordinal)
            .ToArray());

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> RequeueLostModelsAsync() =>
        RequeueLostAsync(LayerConfigurations().SelectMany(layer => Enumerable.Range(0, layer.SliceCount).Select(slice => (layer, slice))).ToArray());

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

    /// <summary>
    /// Asks each of <paramref name="slices"/> which models it holds; every model the registry lists as absorbed and
    /// assigned to one of them but missing from it goes back to queued (reason: the layers that lost it). The registry is
    /// read first: a model absorbed by then was acknowledged by every slice it belongs to, so a slice that lacks it
    /// afterwards has lost it (models recorded absorbed while the slices answer are not judged). Flattened layers are skipped.
    /// </summary>
    private async Task<IReadOnlyList<string>> RequeueLostAsync(IReadOnlyList<(LayerConfiguration Layer, int Slice)> slices)
    {
        // Flattened layers have no model slices: their coordinator writes its id set with every model, and its column
        // slices refuse rows out of step with it (docs/cluster.md), so there is nothing for the registry to re-check.
        slices = slices.Where(s => s.Layer.Mode != SketchMode.Flattened).ToArray();
        var state = _state.State;
        var absorbed = state.Models.Values.Where(m => m.Status == ModelStatus.Absorbed).Select(m => m.ModelId).ToArray();
        if (absorbed.Length == 0 || slices.Count == 0)
        {
            return [];
        }

        var held = await Task.WhenAll(slices.Select(s =>
            GrainFactory.GetGrain<ILayerSliceGrain>(UwsKeys.Slice(Fleet, s.Layer.Layer, s.Layer.Mode, s.Slice)).GetModelIdsAsync()));
        var lostBy = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 0; i < slices.Count; i++)
        {
            var (layer, slice) = slices[i];
            var ids = held[i].ToHashSet(StringComparer.Ordinal);
            foreach (var id in absorbed.Where(id => UwsKeys.SliceOf(id, layer.SliceCount) == slice && !ids.Contains(id)))
            {
                (lostBy.TryGetValue(id, out var layers) ? layers : lostBy[id] = []).Add($"'{layer.Layer}' ({UwsKeys.ModeName(layer.Mode)})");
            }
        }

        var requeued = new List<string>();
        foreach (var (id, layers) in lostBy.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (state.Models.GetValueOrDefault(id) is not { Status: ModelStatus.Absorbed } record)
            {
                continue;
            }

            var reason = $"lost by the sketches of {layers.Count} layer(s) ({string.Join(", ", layers)}) when a silo failed before they were checkpointed; re-submit";
            state.Models[id] = record with { Status = ModelStatus.Queued, Reason = reason, CompletedAt = null };
            requeued.Add(id);
            LogIncomplete(_logger, Fleet, id, reason);
        }

        if (requeued.Count > 0)
        {
            await SaveAsync();
        }

        return requeued;
    }

    /// <inheritdoc />
    public void Dispose() => _writeLock.Dispose();

    /// <summary>Fans the model out to its slice of every layer and mode, then records the outcome.</summary>
    private async Task<SubmitResult> AbsorbEverywhereAsync(ModelReference model, DateTimeOffset now)
    {
        var state = _state.State;
        var layers = LayerConfigurations();
        await EnsureCoordinatorsConfiguredAsync();
        using var activity = UwsMetrics.ActivitySource.StartActivity(UwsTelemetryNames.SubmitSpan);
        activity?.SetTag("uws.fleet", Fleet);
        activity?.SetTag("uws.model", model.ModelId);

        var activationsBefore = _sliceActivations;
        var outcomes = await Task.WhenAll(layers.Select(layer => AbsorbIntoSliceAsync(model, layer)));
        foreach (var (layer, result, _, _) in outcomes)
        {
            if (result is { AlreadyAbsorbed: false })
            {
                GrainFactory.GetGrain<ILayerCoordinatorGrain>(layer.CoordinatorKey)
                    .NotifyAbsorbedAsync(UwsKeys.SliceOf(model.ModelId, layer.SliceCount), result.SliceModelCount).Ignore();
            }
        }

        var failures = outcomes.Where(o => o.Error is not null).ToArray();
        if (failures.Length > 0)
        {
            var absorbedElsewhere = outcomes.Count(o => o.Result is not null);
            var reason = string.Join("; ", failures.Select(f => $"layer '{f.Layer.Layer}' ({UwsKeys.ModeName(f.Layer.Mode)}): {f.Error}"));
            if (failures.All(f => !f.ModelFault))
            {
                // The cluster failed (timeout, silo lost), not the model: it stays queued and a re-submission completes
                // it (the slices that hold it answer "already absorbed").
                reason = $"not fully absorbed, re-submit: {reason}";
                state.Models[model.ModelId] = new ModelRecord(model.ModelId, model.Location, ModelStatus.Queued, reason, now, null);
                await SaveAsync();
                LogIncomplete(_logger, Fleet, model.ModelId, reason);
                return new SubmitResult(model.ModelId, ModelStatus.Queued, reason, AlreadyKnown: false);
            }

            if (absorbedElsewhere > 0)
            {
                reason += $" (absorbed by {absorbedElsewhere} other layer sketches before the failure; re-submit after fixing the file)";
            }

            return await RecordRejectionAsync(model, now, reason);
        }

        state.Models[model.ModelId] = new ModelRecord(model.ModelId, model.Location, ModelStatus.Absorbed, null, now, _time.GetUtcNow());
        await SaveAsync();
        _metrics.ModelAbsorbed(Fleet, model.Location, _time.GetUtcNow() - now);
        if (_sliceActivations != activationsBefore)
        {
            // A slice came back from storage while this model fanned out: had it acknowledged the model before its silo
            // failed, that check ran before the model was recorded absorbed. Check this model's slices again.
            var slice = UwsKeys.SliceOf(model.ModelId, state.SliceCount);
            try
            {
                if ((await RequeueLostAsync(layers.Select(l => (l, slice)).ToArray())).Contains(model.ModelId))
                {
                    return new SubmitResult(model.ModelId, ModelStatus.Queued, state.Models[model.ModelId].Reason, AlreadyKnown: false);
                }
            }
            catch (Exception ex)
            {
                // The cluster is failing again; the slice that comes back next reports itself and is checked then.
                LogCheckFailed(_logger, Fleet, model.ModelId, ex.Message);
            }
        }

        return new SubmitResult(model.ModelId, ModelStatus.Absorbed, null, AlreadyKnown: false);
    }

    /// <summary>
    /// Opens the model's header and checks it against the architecture, setting the architecture (and the default
    /// configuration) from it when this is the first model. Returns the rejection reason, or null when it fits.
    /// </summary>
    private string? CheckHeader(ModelReference model)
    {
        FormatsArchitecture architecture;
        try
        {
            using var lease = _readers.Acquire(model.Location);
            architecture = lease.Reader.Architecture;
        }
        catch (Exception ex) when (ex is ModelFormatException or IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }

        var state = _state.State;
        if (!state.Configured)
        {
            Apply(Resolve(new FleetConfiguration(Centered: _defaults.Centered)));
        }

        if (state.Layers.Count == 0)
        {
            var badNames = architecture.Layers.Keys.Where(k => k.Contains('/')).ToArray();
            if (badNames.Length > 0)
            {
                return $"{model.Location}: layer ids must not contain '/': {string.Join(", ", badNames)}";
            }

            if (architecture.Layers.Count == 0)
            {
                return $"{model.Location}: the model has no layers.";
            }

            var layers = architecture.Layers.ToDictionary(p => p.Key, p => new Interfaces.LayerShape(p.Value.OutFeatures, p.Value.InFeatures));
            if (state.Modes.Contains(SketchMode.Flattened))
            {
                var failures = new List<string>();
                FleetSettingsRules.ValidateFlattened(layers, state.FlattenedSliceCount, state.Centered, failures);
                if (failures.Count > 0)
                {
                    return $"{model.Location}: the model does not fit fleet '{Fleet}' in flattened mode: {string.Join(" ", failures)}";
                }
            }

            state.Layers = layers;
            LogArchitectureSet(_logger, Fleet, state.Layers.Count, model.ModelId);
            return null;
        }

        try
        {
            var fleet = new FormatsArchitecture(state.Layers.ToDictionary(p => p.Key, p => new FormatsShape(p.Value.Rows, p.Value.Columns)));
            fleet.EnsureCompatible(architecture, model.Location);
            return null;
        }
        catch (ModelFormatException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>
    /// Absorbs the model into its slice of one layer. A failure is a model fault when the slice refused the data
    /// (<see cref="InvalidDataException"/>: corrupt file, missing tensor, shape, non-finite value) or the request
    /// (<see cref="ArgumentException"/>); anything else (timeouts, lost silos) is the cluster's fault.
    /// </summary>
    private async Task<(LayerConfiguration Layer, AbsorbResult? Result, string? Error, bool ModelFault)> AbsorbIntoSliceAsync(
        ModelReference model, LayerConfiguration layer)
    {
        try
        {
            // Flattened mode: the coordinator owns the order of the rows and fans the model out to its column slices.
            var result = layer.Mode == SketchMode.Flattened
                ? await GrainFactory.GetGrain<ILayerCoordinatorGrain>(layer.CoordinatorKey).AbsorbFlattenedAsync(model, layer)
                : await GrainFactory.GetGrain<ILayerSliceGrain>(UwsKeys.Slice(Fleet, layer.Layer, layer.Mode, UwsKeys.SliceOf(model.ModelId, layer.SliceCount))).AbsorbAsync(model, layer);
            return (layer, result, null, false);
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException)
        {
            return (layer, null, ex.Message, true);
        }
        catch (Exception ex)
        {
            return (layer, null, $"{ex.GetType().Name}: {ex.Message}", false);
        }
    }

    private async Task<SubmitResult> RecordRejectionAsync(ModelReference model, DateTimeOffset submittedAt, string reason)
    {
        _state.State.Models[model.ModelId] = new ModelRecord(model.ModelId, model.Location, ModelStatus.Rejected, reason, submittedAt, _time.GetUtcNow());
        await SaveAsync();
        _metrics.ModelRejected(Fleet, reason);
        LogRejected(_logger, Fleet, model.ModelId, reason);
        return new SubmitResult(model.ModelId, ModelStatus.Rejected, reason, AlreadyKnown: false);
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
                await Task.WhenAll(LayerConfigurations().Select(l => GrainFactory.GetGrain<ILayerCoordinatorGrain>(l.CoordinatorKey).ConfigureAsync(l)));
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

    private List<LayerConfiguration> LayerConfigurations()
    {
        var s = _state.State;
        return s.Layers.OrderBy(p => p.Key, StringComparer.Ordinal)
            .SelectMany(p => s.Modes.Select(mode => new LayerConfiguration(
                Fleet, p.Key, mode, p.Value, mode == SketchMode.Flattened ? s.FlattenedSliceCount : s.SliceCount, s.Centered, s.Sketch!, s.Basis!)))
            .ToList();
    }

    private async Task SaveAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            await _state.WriteStateAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Fixes the fleet's settings (not its architecture) in the state.</summary>
    private void Apply(FleetSettings settings)
    {
        var state = _state.State;
        state.Configured = true;
        state.Modes = [.. settings.Modes];
        state.Centered = settings.Centered;
        state.SliceCount = settings.SliceCount;
        state.FlattenedSliceCount = settings.FlattenedSliceCount;
        state.Sketch = settings.Sketch;
        state.Basis = settings.Basis;
    }

    private FleetSettings CurrentSettings()
    {
        var s = _state.State;
        return new FleetSettings(s.Modes, s.Centered, s.Layers, s.SliceCount, s.Sketch!, s.Basis!, s.FlattenedSliceCount);
    }

    private FleetSettings Resolve(FleetConfiguration configuration) =>
        FleetSettings.Resolve(configuration, _defaults, $"fleet '{Fleet}'");

    private FleetDescription Describe()
    {
        var s = _state.State;
        var settings = s.Configured ? CurrentSettings() : Resolve(new FleetConfiguration(Centered: _defaults.Centered));
        var counts = s.Models.Values.CountBy(m => m.Status).ToDictionary();
        return new FleetDescription(
            Fleet, settings.Modes, settings.Centered,
            settings.Layers.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new LayerEntry(p.Key, p.Value)).ToArray(),
            settings.SliceCount, settings.Sketch, settings.Basis,
            new ModelCounts(counts.GetValueOrDefault(ModelStatus.Queued), counts.GetValueOrDefault(ModelStatus.Absorbed), counts.GetValueOrDefault(ModelStatus.Rejected)),
            settings.FlattenedSliceCount);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fleet {Fleet}: architecture of {LayerCount} layers set by model {ModelId}")]
    private static partial void LogArchitectureSet(ILogger logger, string fleet, int layerCount, string modelId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet {Fleet}: model {ModelId} stays queued: {Reason}")]
    private static partial void LogIncomplete(ILogger logger, string fleet, string modelId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet {Fleet}: could not check the slices of model {ModelId} again: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string fleet, string modelId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet {Fleet}: model {ModelId} rejected: {Reason}")]
    private static partial void LogRejected(ILogger logger, string fleet, string modelId, string reason);
}
