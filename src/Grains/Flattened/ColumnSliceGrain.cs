using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;
using OrleansUws.Grains.Placement;
using OrleansUws.Grains.State;
using OrleansUws.ModelFormats;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Flattened;

/// <summary>
/// One column slice of a flattened layer (key <c>{fleet}/{layer}/flattened/{slice}</c>), driven by the layer's
/// coordinator: stage (read + validate this slice's row block of W, sketch untouched), commit or discard, coordinated
/// shrink, basis parts. Not reentrant. The column slice is checkpointed every
/// <see cref="UwsClusterOptions.SliceCheckpointEveryModels"/> rows (never with a full, unshrunk buffer) and on
/// deactivation; its row count is the sequence number the coordinator checks, so a slice out of step is refused loudly.
/// </summary>
[GrainType("uws-column-slice")]
[GpuSpreadPlacement]
public sealed partial class ColumnSliceGrain : Grain, IColumnSliceGrain, IDisposable
{
    private readonly IPersistentState<ColumnSliceState> _state;
    private readonly CovarianceSketchFactory _sketches;
    private readonly ModelReaderCache _readers;
    private readonly SketchWorkers _workers;
    private readonly ILocalSiloDetails _silo;
    private readonly ILogger<ColumnSliceGrain> _logger;
    private readonly CheckpointCadence _checkpoints;
    private ColumnSliceSketch? _sketch;
    private (long Sequence, LayerConfiguration Layer, float[] Row)? _staged;

    /// <summary>Creates the grain (by the runtime).</summary>
    public ColumnSliceGrain(
        [PersistentState("column-slice", UwsStorage.Name)] IPersistentState<ColumnSliceState> state,
        CovarianceSketchFactory sketches,
        ModelReaderCache readers,
        SketchWorkers workers,
        ILocalSiloDetails silo,
        IOptions<UwsClusterOptions> options,
        ILogger<ColumnSliceGrain> logger)
    {
        _checkpoints = new CheckpointCadence(options.Value.SliceCheckpointEveryModels);
        _state = state;
        _sketches = sketches;
        _readers = readers;
        _workers = workers;
        _silo = silo;
        _logger = logger;
    }

    private long Rows => _sketch?.RowCount ?? 0;

    /// <inheritdoc />
    public async Task<int> StageAsync(ModelReference model, LayerConfiguration layer, long sequence)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        var key = this.GetPrimaryKeyString();
        var (fleet, layerId, mode, slice) = UwsKeys.ParseSlice(key);
        if (layer.Fleet != fleet || layer.Layer != layerId || layer.Mode != mode || mode != SketchMode.Flattened || slice >= layer.SliceCount)
        {
            throw new ArgumentException($"Column slice '{key}' was sent the configuration of layer '{layer.CoordinatorKey}' ({layer.SliceCount} slices).", nameof(layer));
        }

        if (_state.State.Configuration is { } configured && configured != layer)
        {
            throw new ArgumentException($"Column slice '{key}' is configured as {configured}; the request says {layer}.", nameof(layer));
        }

        if (sequence != Rows)
        {
            throw new InvalidOperationException($"Column slice '{key}' holds {Rows} rows but was asked to stage row {sequence}: the layer's slices are out of step.");
        }

        var (start, end) = layer.Shape.RowBlock(slice, layer.SliceCount);
        float[] row;
        try
        {
            row = await _workers.RunAsync(() =>
            {
                using var lease = _readers.Acquire(model.Location);
                return RowBlockReader.Read(lease.Reader, layer, start, end);
            });
        }
        catch (Exception ex) when (ex is ModelFormatException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // Only the message crosses the grain boundary: the format library's exception types have no Orleans codec.
            LogStageFailed(_logger, model.ModelId, key, ex.Message);
            throw new InvalidDataException(ex.Message);
        }

        _staged = (sequence, layer, row);
        return _sketch?.BufferedRows ?? 0;
    }

    /// <inheritdoc />
    public async Task<int> CommitAsync(long sequence)
    {
        if (_staged is not { } staged || staged.Sequence != sequence)
        {
            throw new InvalidOperationException($"Column slice '{this.GetPrimaryKeyString()}' has no staged row {sequence} (staged: {_staged?.Sequence.ToString() ?? "none"}).");
        }

        var sketch = _sketch ?? new ColumnSliceSketch(_sketches.Backend, staged.Row.Length, staged.Layer.Sketch.SketchRows, MeanMode.Track);
        await _workers.RunAsync(() => sketch.AppendRow(staged.Row));

        _sketch = sketch;
        _staged = null;
        _state.State.Configuration = staged.Layer;
        _checkpoints.Record();
        if (!sketch.IsFull)
        {
            await CheckpointIfDueAsync();
        }

        return sketch.BufferedRows;
    }

    /// <inheritdoc />
    public Task DiscardAsync(long sequence)
    {
        if (_staged?.Sequence == sequence)
        {
            _staged = null;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task<ColumnSliceGram> GetGramAsync()
    {
        if (_sketch is not { } sketch)
        {
            return new ColumnSliceGram(0, [], 0, 0, 0);
        }

        var gram = new double[sketch.BufferedRows * sketch.BufferedRows];
        await _workers.RunAsync(() => sketch.Gram(gram));
        return new ColumnSliceGram(sketch.BufferedRows, gram, sketch.TotalEnergy, sketch.Certificate, sketch.RowCount);
    }

    /// <inheritdoc />
    public async Task ShrinkAsync(ColumnShrink shrink)
    {
        ArgumentNullException.ThrowIfNull(shrink);
        var sketch = _sketch ?? throw new InvalidOperationException($"Column slice '{this.GetPrimaryKeyString()}' is empty: there is nothing to shrink.");
        await _workers.RunAsync(() => sketch.ApplyShrink(new ShrinkPlan(shrink.Rotation, shrink.ActiveRows, shrink.OutRows, shrink.Delta)));

        await CheckpointIfDueAsync();
    }

    /// <inheritdoc />
    public async Task<ColumnBasisSummary> ComputeBasisPartAsync(ColumnBasisRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = this.GetPrimaryKeyString();
        if (_sketch is null || _sketch.BufferedRows != request.Rows)
        {
            throw new InvalidOperationException($"Column slice '{key}' holds {_sketch?.BufferedRows ?? 0} buffered rows; the basis request is for {request.Rows}.");
        }

        int k = request.Rank, width = _sketch.Width;
        var vectors = new float[k * width];
        var sketch = _sketch;
        var self = new double[k * k];
        var previous = _state.State.Parts.Find(p => p.Version == request.PreviousVersion);
        double[] cross = [], previousGram = [];
        if (previous is not null)
        {
            cross = new double[k * previous.Rank];
            previousGram = new double[previous.Rank * previous.Rank];
        }

        await _workers.RunAsync(() =>
        {
            sketch.Project(request.Coefficients, k, vectors);
            ColumnSlicedBasis.AccumulateCross(vectors, k, vectors, k, width, self);
            if (previous is not null)
            {
                ColumnSlicedBasis.AccumulateCross(vectors, k, previous.Vectors, previous.Rank, width, cross);
                ColumnSlicedBasis.AccumulateCross(previous.Vectors, previous.Rank, previous.Vectors, previous.Rank, width, previousGram);
            }
        });

        var peakValues = new float[k];
        var peakColumns = new int[k];
        ColumnSlicedBasis.Peaks(vectors, k, width, peakValues, peakColumns);
        var (_, _, _, slice) = UwsKeys.ParseSlice(key);
        var layer = _state.State.Configuration!;
        long offset = (long)layer.Shape.RowBlock(slice, layer.SliceCount).Start * layer.Shape.Columns;

        // Keep the new part and the one it was compared with: a version computed again (after a failure elsewhere) finds
        // the same previous part, and the current version stays readable while the next one is computed.
        var mean = new double[width];
        _sketch.CopyMean(mean);
        var part = new ColumnBasisPart(request.Version, k, width, vectors, Array.ConvertAll(mean, v => (float)v));
        _state.State.Parts = [.. _state.State.Parts.Where(p => p.Version == request.PreviousVersion), part];
        await CheckpointAsync();
        return new ColumnBasisSummary(self, cross, previousGram, previous?.Rank ?? 0, peakValues, Array.ConvertAll(peakColumns, c => offset + c));
    }

    /// <inheritdoc />
    public Task<ColumnBasisPart> GetBasisPartAsync(int version)
    {
        var part = _state.State.Parts.Find(p => p.Version == version)
            ?? throw new InvalidOperationException($"Column slice '{this.GetPrimaryKeyString()}' holds no part of basis version {version}.");
        return Task.FromResult(part);
    }

    /// <inheritdoc />
    public Task<SliceInfo> GetInfoAsync() => Task.FromResult(new SliceInfo(
        this.GetPrimaryKeyString(), _silo.SiloAddress.ToString(), (int)Rows, Rows, _sketch is null ? "empty" : "fd-column-slice", _checkpoints.Pending));

    /// <inheritdoc />
    public async Task<long> FlushAsync()
    {
        if (_checkpoints.Pending > 0)
        {
            await CheckpointAsync();
        }

        return Rows;
    }

    /// <inheritdoc />
    public async Task ResetAsync()
    {
        _sketch?.Dispose();
        _sketch = null;
        _staged = null;
        _state.State.Sketch = [];
        await _state.WriteStateAsync();
        _checkpoints.Written();
    }

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_state.State.Sketch.Length > 0)
        {
            _sketch = ColumnSliceSketch.Deserialize(_state.State.Sketch, _sketches.Backend);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        _checkpoints.FlushAsync(CheckpointAsync, (rows, why) => LogCheckpointLost(_logger, this.GetPrimaryKeyString(), rows, why));

    /// <inheritdoc />
    public void Dispose() => _sketch?.Dispose();

    private Task CheckpointIfDueAsync() => _checkpoints.Due ? CheckpointAsync() : Task.CompletedTask;

    private async Task CheckpointAsync()
    {
        if (_sketch is not null)
        {
            _state.State.Sketch = _sketch.Serialize();
        }

        await _state.WriteStateAsync();
        _checkpoints.Written();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Column slice {Slice}: the last {Models} rows could not be checkpointed at deactivation: {Reason}")]
    private static partial void LogCheckpointLost(ILogger logger, string slice, int models, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {ModelId} not staged by column slice {Slice}: {Reason}")]
    private static partial void LogStageFailed(ILogger logger, string modelId, string slice, string reason);
}
