using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;
using OrleansUws.Grains.Placement;
using OrleansUws.Grains.State;
using OrleansUws.Grains.Telemetry;
using OrleansUws.ModelFormats;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains;

/// <summary>
/// One slice of a layer and mode (key <c>{fleet}/{layer}/{mode}/{slice}</c>). Keeps a full-width sketch of the models
/// assigned to it, reading each model's layer from its file itself. Not reentrant: absorbs are serialised. The sketch
/// and the id set are checkpointed together (every <see cref="UwsClusterOptions.SliceCheckpointEveryModels"/> models or
/// <see cref="UwsClusterOptions.SliceCheckpointIntervalSeconds"/> after the first pending one, whichever first, when
/// asked, and on deactivation), so after a restart a repeated id is recognised exactly when its rows are in the sketch.
/// </summary>
[GrainType("uws-slice")]
[GpuSpreadPlacement]
public sealed partial class LayerSliceGrain : Grain, ILayerSliceGrain, IDisposable
{
    private readonly IPersistentState<LayerSliceState> _state;
    private readonly CovarianceSketchFactory _sketches;
    private readonly ModelReaderCache _readers;
    private readonly SketchWorkers _workers;
    private readonly ILocalSiloDetails _silo;
    private readonly UwsMetrics _metrics;
    private readonly ILogger<LayerSliceGrain> _logger;
    private readonly CheckpointCadence _checkpoints;
    private SliceIdLog? _ids;
    private Guid _lineage = Guid.NewGuid();
    private readonly HeldOutMeter _heldOut;
    private ICovarianceSketch? _sketch;
    private IGrainTimer? _checkpointTimer;

    /// <summary>The state as of the last version cut (a copy) while the next cut's models arrive; <see cref="_sketch"/> holds every model.</summary>
    private SliceCut? _cut;

    /// <summary>The highest version cut a model of this activation was submitted for (0: none).</summary>
    private int _highestCut;

    /// <summary>Creates the grain (by the runtime).</summary>
    public LayerSliceGrain(
        [PersistentState("slice", UwsStorage.Name)] IPersistentState<LayerSliceState> state,
        CovarianceSketchFactory sketches,
        ModelReaderCache readers,
        SketchWorkers workers,
        ILocalSiloDetails silo,
        UwsMetrics metrics,
        IOptions<UwsClusterOptions> options,
        ILogger<LayerSliceGrain> logger)
    {
        _checkpoints = new CheckpointCadence(options.Value.SliceCheckpointEveryModels, options.Value.SliceCheckpointInterval);
        _state = state;
        _sketches = sketches;
        _heldOut = new HeldOutMeter(sketches.Backend);
        _readers = readers;
        _workers = workers;
        _silo = silo;
        _metrics = metrics;
        _logger = logger;
    }

    /// <inheritdoc />
    public async Task<AbsorbResult> AbsorbAsync(ModelReference model, LayerConfiguration layer, int cut)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        var key = this.GetPrimaryKeyString();
        var (fleet, layerId, mode, slice) = UwsKeys.ParseSlice(key);
        if (layer.Fleet != fleet || layer.Layer != layerId || layer.Mode != mode)
        {
            throw new ArgumentException($"Slice '{key}' was sent the configuration of layer '{layer.CoordinatorKey}'.", nameof(layer));
        }

        if (mode == SketchMode.Flattened)
        {
            throw new ArgumentException($"Slice '{key}': flattened layers are absorbed through their coordinator's column slices, not by model slices.", nameof(layer));
        }

        if (UwsKeys.SliceOf(model.ModelId, layer.SliceCount) != slice)
        {
            throw new ArgumentException(
                $"Model '{model.ModelId}' belongs to slice {UwsKeys.SliceOf(model.ModelId, layer.SliceCount)} of '{layer.CoordinatorKey}', not {slice}.",
                nameof(model));
        }

        var state = _state.State;
        if (state.Configuration is { } configured && configured != layer)
        {
            throw new ArgumentException($"Slice '{key}' is configured as {Describe(configured)}; the request says {Describe(layer)}.", nameof(layer));
        }

        if (Ids.Contains(model.ModelId))
        {
            return new AbsorbResult(model.ModelId, AlreadyAbsorbed: true, RowsAdded: 0, Ids.Count, Durable: _checkpoints.Pending == 0);
        }

        // A model of an earlier cut than the open one joins that cut's state; the first model of a later cut opens one.
        var late = _cut is { } open && cut > 0 && cut <= open.Cut ? open : null;
        if (late is null && cut > 0)
        {
            OpenCut(cut);
        }

        // Read into a fresh sketch first when this slice has none yet; otherwise append to the live one, which holds
        // every model. A late model goes into its cut's copy first. Both the reader and AppendLora/AppendRows validate
        // before mutating, so a failure leaves a sketch as it was; a failure after the cut's copy took the model drops
        // the copy (that version then counts the models the slice holds when it is captured).
        var sketch = _sketch ?? CreateSketch(layer);
        var cutSketch = late is null ? null : late.Frozen ?? CreateSketch(layer);
        var cutRows = cutSketch?.RowCount ?? 0;

        LayerAbsorption absorbed;
        using var span = UwsMetrics.ActivitySource.StartActivity(UwsTelemetryNames.SliceAbsorbSpan);
        var timing = SketchUpdateTiming.Start(sketch);
        try
        {
            absorbed = await _workers.RunAsync(() =>
            {
                using var lease = _readers.Acquire(model.Location);
                if (cutSketch is not null)
                {
                    ModelLayerAbsorber.Absorb(lease.Reader, layer, cutSketch);
                }

                return ModelLayerAbsorber.Absorb(lease.Reader, layer, sketch, _heldOut);
            });
        }
        catch (Exception ex) when (ex is ModelFormatException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            if (_sketch is null)
            {
                sketch.Dispose();
            }

            if (late is not null && late.Frozen is null)
            {
                cutSketch!.Dispose();
            }
            else if (late is not null && cutSketch!.RowCount != cutRows)
            {
                CloseCut();
            }

            // Only the message crosses the grain boundary: the format library's exception types have no Orleans codec.
            LogAbsorbFailed(_logger, model.ModelId, key, ex.Message);
            throw new InvalidDataException(ex.Message);
        }

        _sketch = sketch;
        late?.Absorbed(cutSketch!, absorbed);

        state.Configuration = layer;
        Ids.Add(state, model.ModelId);
        var rows = absorbed.Rows;
        state.RowCount += rows;
        state.IndependentRows += absorbed.IndependentRows;
        if (absorbed.HeldOut is { } measured)
        {
            state.HeldOut = state.HeldOut.Add(measured.Captured, measured.Energy, measured.Version);
        }

        _checkpoints.Record();
        if (_checkpoints.Due)
        {
            await CheckpointAsync();
        }
        else if (_checkpoints.OpensWindow)
        {
            ArmCheckpointTimer();
        }

        _metrics.SketchUpdated(fleet, UwsKeys.ModeName(mode), rows, timing);

        // The coordinator hears it from the slice itself (one-way; counts are maxima, so a repeat counts nothing twice).
        GrainFactory.GetGrain<ILayerCoordinatorGrain>(layer.CoordinatorKey).NotifyAbsorbedAsync(slice, Ids.Count).Ignore();
        return new AbsorbResult(model.ModelId, AlreadyAbsorbed: false, (int)rows, Ids.Count, Durable: _checkpoints.Pending == 0);
    }

    /// <inheritdoc />
    public async Task<int> FlushAsync()
    {
        if (_checkpoints.Pending > 0)
        {
            await CheckpointAsync();
        }

        return Ids.Count;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> CheckpointModelsAsync(IReadOnlyList<string> modelIds)
    {
        ArgumentNullException.ThrowIfNull(modelIds);
        await FlushAsync();
        return modelIds.Where(id => !Ids.Contains(id)).ToArray();
    }

    /// <inheritdoc />
    public Task UseBasisAsync(LayerBasis basis)
    {
        _heldOut.Use(basis);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<SliceSnapshot> GetSnapshotAsync()
    {
        var (_, _, _, slice) = UwsKeys.ParseSlice(this.GetPrimaryKeyString());
        var state = _state.State;

        // Frequent Directions: a copy sharing the sketch's rows, read in place by a coordinator in this silo (serialised
        // for one elsewhere). Other kinds would be copied whole, so they go as the checkpoint's bytes when it is current.
        var sketch = _sketch switch
        {
            null => SketchBlob.Empty,
            { Kind: SketchKind.FrequentDirections } fd => new SketchBlob(new HandedSketch(fd.Copy())),
            var other => new SketchBlob(_checkpoints.Pending == 0 && state.Sketch.Length > 0 ? state.Sketch : other.Serialize()),
        };
        return Task.FromResult(new SliceSnapshot(slice, Ids.Count, state.RowCount, sketch, _lineage, HeldOut: state.HeldOut, IndependentRows: state.IndependentRows));
    }

    /// <inheritdoc />
    public Task<SliceSnapshot> GetSnapshotSinceAsync(Guid activation, int modelCount, int cut)
    {
        if (_cut is { } open && open.Cut == cut && cut > 0)
        {
            // Every model of this cut has been answered for: its state is final, and shipped once.
            var snapshot = CutSnapshot(open, activation, modelCount);
            CloseCut();
            return Task.FromResult(snapshot);
        }

        // Every model of cut ≤ this one has been answered: the next cut's first model opens no cut.
        _highestCut = Math.Max(_highestCut, cut + 1);
        CloseCut();
        var state = _state.State;
        if (activation != _lineage || modelCount != Ids.Count)
        {
            return GetSnapshotAsync();
        }

        var (_, _, _, slice) = UwsKeys.ParseSlice(this.GetPrimaryKeyString());
        return Task.FromResult(new SliceSnapshot(slice, modelCount, state.RowCount, SketchBlob.Empty, _lineage, Unchanged: true, state.HeldOut, state.IndependentRows));
    }

    /// <inheritdoc />
    public Task<SliceInfo> GetInfoAsync()
    {
        var state = _state.State;
        return Task.FromResult(new SliceInfo(this.GetPrimaryKeyString(), _silo.SiloAddress.ToString(), Ids.Count, state.RowCount, KindName(_sketch?.Kind), _checkpoints.Pending));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> GetModelIdsAsync() =>
        Task.FromResult(Ids.Ordered());

    /// <inheritdoc />
    public async Task<SliceRemoval> RemoveAsync(ModelReference model, LayerConfiguration layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        var state = _state.State;
        if (!Ids.Contains(model.ModelId))
        {
            return new SliceRemoval(true, "not held");
        }

        CloseCut();
        if (state.Configuration != layer)
        {
            return new SliceRemoval(false, $"the slice is configured as {(state.Configuration is { } c ? Describe(c) : "nothing")}, the request says {Describe(layer)}");
        }

        if (_sketch is not { CanSubtract: true } sketch)
        {
            return new SliceRemoval(false, "Frequent Directions cannot subtract");
        }

        // The model's rows, read again into a sketch of their own: the exact part the live sketch absorbed (the caller
        // checked the file's content hash). Nothing changes unless all of it is read.
        LayerAbsorption removed;
        using var alone = CreateSketch(layer);
        try
        {
            removed = await _workers.RunAsync(() =>
            {
                using var lease = _readers.Acquire(model.Location);
                var read = ModelLayerAbsorber.Absorb(lease.Reader, layer, alone);
                sketch.Subtract(alone);
                return read;
            });
        }
        catch (Exception ex) when (ex is ModelFormatException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return new SliceRemoval(false, $"the model file cannot be read again ({ex.Message})");
        }

        Ids.Remove(state, model.ModelId);
        state.RowCount -= removed.Rows;
        state.IndependentRows -= removed.IndependentRows;

        // Counts fell: a coordinator's merge of this slice at an equal count later must not be taken for this state.
        _lineage = Guid.NewGuid();
        _checkpoints.Record();
        await CheckpointAsync();
        return new SliceRemoval(true, $"subtracted exactly from its {KindName(sketch.Kind)} sketch");
    }

    /// <inheritdoc />
    public async Task ResetAsync()
    {
        CloseCut();
        _sketch?.Dispose();
        _sketch = null;
        _state.State.Sketch = [];
        _state.State.RowCount = 0;
        _state.State.IndependentRows = 0;
        _state.State.HeldOut = HeldOutTally.Empty;
        _lineage = Guid.NewGuid();

        // The models a rebuild absorbs again are in the current basis: not held out. The next version measures again.
        _heldOut.Clear();
        await Ids.ClearAsync(_state.State, () => _state.WriteStateAsync());
        _checkpoints.Written();
    }

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _ids = new SliceIdLog(UwsStorage.Of(ServiceProvider), this.GetGrainId());
        await _ids.LoadAsync(_state.State);
        if (_state.State.Sketch.Length > 0)
        {
            _sketch = _sketches.Deserialize(_state.State.Sketch);
        }

        _metrics.SliceActivated();

        // A previous activation may have died with models absorbed since its last checkpoint (or before its first one:
        // storage cannot tell that from a new slice), so let the registry check what this one holds.
        // (A malformed key is reported by the first absorb, as before.)
        var key = this.GetPrimaryKeyString();
        if (key.Split('/') is [var fleet, var layer, var mode, _])
        {
            GrainFactory.GetGrain<IFleetGrain>(fleet).SliceActivatedAsync(key).Ignore();

            // Held-out capture: later versions are pushed by the coordinator (UseBasisAsync); an activation asks for the
            // current one without waiting on it, so absorbs never depend on the coordinator (nothing is measured until it answers).
            FetchBasisAsync(string.Join('/', fleet, layer, mode)).Ignore();
        }
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _metrics.SliceDeactivated();
        return _checkpoints.FlushAsync(CheckpointAsync, (models, why) => LogCheckpointLost(_logger, this.GetPrimaryKeyString(), models, why));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _cut?.Dispose();
        _sketch?.Dispose();
    }

    /// <summary>The absorbed ids (read at activation).</summary>
    private SliceIdLog Ids => _ids ?? throw new InvalidOperationException("The slice's id set is read at activation.");

    private async Task FetchBasisAsync(string coordinator) =>
        _heldOut.Use(await GrainFactory.GetGrain<ILayerCoordinatorGrain>(coordinator).GetBasisAsync());

    private async Task CheckpointAsync()
    {
        using var span = UwsMetrics.ActivitySource.StartActivity(UwsTelemetryNames.SliceCheckpointSpan);
        // Everything the slice holds (its sketch has every model, an open cut's and the next cut's alike); the cut stays open.
        _state.State.Sketch = _sketch!.Serialize();
        await Ids.SealAsync(_state.State);
        await _state.WriteStateAsync();
        await Ids.AfterWriteAsync(_state.State);
        _checkpoints.Written();
        _checkpointTimer?.Dispose();
        _checkpointTimer = null;
    }

    /// <summary>
    /// Before the first model of <paramref name="cut"/> is absorbed: when it is the first model of a later cut than any
    /// before, a copy of what the slice holds is the previous cut's state (<see cref="SliceCut"/>); an open cut older than
    /// that is dropped first (its capture did not come in time, so that version counts some later models). Cut 1 is the
    /// fleet's first (runs reserve their cuts from the registry), so nothing came before it to keep apart.
    /// </summary>
    private void OpenCut(int cut)
    {
        if (cut <= _highestCut || (_highestCut == 0 && cut == 1))
        {
            _highestCut = Math.Max(_highestCut, cut);
            return;
        }

        CloseCut();
        var state = _state.State;
        _cut = new SliceCut(cut - 1, _sketch?.Copy(), Ids.Count, state.RowCount, state.IndependentRows, state.HeldOut);
        _highestCut = cut;
    }

    /// <summary>Drops an open cut's state (the slice's own sketch holds its models too).</summary>
    private void CloseCut()
    {
        _cut?.Dispose();
        _cut = null;
    }

    /// <summary>
    /// The open cut's state as a snapshot for a coordinator that holds revision (<paramref name="activation"/>,
    /// <paramref name="modelCount"/>); its sketch is handed over, not copied.
    /// </summary>
    private SliceSnapshot CutSnapshot(SliceCut open, Guid activation, int modelCount)
    {
        var (_, _, _, slice) = UwsKeys.ParseSlice(this.GetPrimaryKeyString());
        bool unchanged = activation == _lineage && modelCount == open.Models;
        var sketch = unchanged || open.HandOver() is not { } frozen ? SketchBlob.Empty : new SketchBlob(new HandedSketch(frozen));
        return new SliceSnapshot(slice, open.Models, open.Rows, sketch, _lineage, unchanged, open.HeldOut, open.IndependentRows);
    }

    /// <summary>Checkpoints <see cref="CheckpointCadence.Interval"/> from now unless a count or a flush does it first.</summary>
    private void ArmCheckpointTimer()
    {
        _checkpointTimer?.Dispose();
        _checkpointTimer = this.RegisterGrainTimer(
            async () =>
            {
                if (_checkpoints.Pending == 0)
                {
                    return;
                }

                try
                {
                    await CheckpointAsync();
                }
                catch (Exception ex)
                {
                    // Storage is failing (e.g. Redis restarting): the models stay pending; try again after the interval.
                    LogTimedCheckpointFailed(_logger, this.GetPrimaryKeyString(), _checkpoints.Pending, ex.Message);
                    ArmCheckpointTimer();
                }
            },
            new GrainTimerCreationOptions(_checkpoints.Interval, Timeout.InfiniteTimeSpan));
    }

    /// <summary>
    /// The sketch a slice of <paramref name="layer"/> keeps: exact Gram for small d, else Frequent Directions or (when
    /// the fleet asks for it) a Nyström sketch of s = SketchRows columns, which falls back to the exact Gram when s ≥ d
    /// (no smaller, and exact).
    /// </summary>
    internal static SketchOptions SketchOptionsFor(LayerConfiguration layer)
    {
        var d = layer.Dimension;
        var sketch = layer.Sketch;
        var kind = d <= sketch.ExactGramMaxDimension ? SketchKind.ExactGram
            : sketch.LargeLayers == LargeLayerSketch.FrequentDirections ? SketchKind.FrequentDirections
            : d <= sketch.SketchRows ? SketchKind.ExactGram
            : SketchKind.Nystrom;
        return new SketchOptions(kind, d, sketch.SketchRows, layer.Centered ? MeanMode.Centre : MeanMode.Track);
    }

    /// <summary>The name <see cref="SliceInfo"/> and removal details give a sketch kind ("empty" before the first model).</summary>
    private static string KindName(SketchKind? kind) => kind switch
    {
        SketchKind.FrequentDirections => "fd",
        SketchKind.ExactGram => "exact-gram",
        SketchKind.Nystrom => "nystrom",
        _ => "empty",
    };

    private ICovarianceSketch CreateSketch(LayerConfiguration layer) => _sketches.Create(SketchOptionsFor(layer));

    private static string Describe(LayerConfiguration c) =>
        $"{c.Shape}, {c.SliceCount} slices, centred={c.Centered}, ℓ={c.Sketch.SketchRows}, exact-gram≤{c.Sketch.ExactGramMaxDimension}, large layers {c.Sketch.LargeLayers}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slice {Slice}: the last {Models} models could not be checkpointed at deactivation: {Reason}")]
    private static partial void LogCheckpointLost(ILogger logger, string slice, int models, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Slice {Slice}: timed checkpoint of {Models} models failed, retried later: {Reason}")]
    private static partial void LogTimedCheckpointFailed(ILogger logger, string slice, int models, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {ModelId} not absorbed by slice {Slice}: {Reason}")]
    private static partial void LogAbsorbFailed(ILogger logger, string modelId, string slice, string reason);
}
