using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;
using Orleans.Storage;

namespace OrleansUws.Grains.Registry;

/// <summary>
/// A fleet registry's per-model records, stored as an append-only log of fixed-size segments in grain storage (state
/// names <c>fleet-records-{n}</c> of the registry grain), so recording model T+1 writes one segment of at most
/// <see cref="SegmentCapacity"/> records whatever T is. Every change appends the model's new record; the latest record
/// of an id wins when the log is replayed at activation. Concurrent writers share one storage write (group commit).
/// Counts per status are maintained as records change. Use from one grain's turns (not thread-safe otherwise).
/// </summary>
public sealed class ModelRecordLog(IGrainStorage storage, GrainId owner)
{
    /// <summary>Records per segment: the most one write carries.</summary>
    public const int SegmentCapacity = 256;

    private readonly Dictionary<string, ModelRecord> _records = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly int[] _counts = new int[Enum.GetValues<ModelStatus>().Length];
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly List<(long Sequence, ModelRecord Record)> _pending = [];
    private GrainState<FleetStateRecords> _segment = new(new FleetStateRecords());
    private int _segmentIndex;
    private long _appended;
    private long _written;

    /// <summary>Models known.</summary>
    public int Count => _records.Count;

    /// <summary>Storage writes so far (for diagnostics and the benchmark).</summary>
    public long Writes { get; private set; }

    /// <summary>Models per status.</summary>
    public ModelCounts Counts => new(
        _counts[(int)ModelStatus.Queued], _counts[(int)ModelStatus.Absorbed], _counts[(int)ModelStatus.Rejected], _counts[(int)ModelStatus.Quarantined], _counts[(int)ModelStatus.Deleted]);

    /// <summary>Replays every stored segment (once, at activation).</summary>
    public async Task LoadAsync()
    {
        for (var index = 0; ; index++)
        {
            var segment = new GrainState<FleetStateRecords>(new FleetStateRecords());
            await storage.ReadStateAsync(StateName(index), owner, segment);
            if (!segment.RecordExists)
            {
                break;
            }

            foreach (var record in segment.State!.Records)
            {
                Apply(record);
            }

            (_segment, _segmentIndex) = (segment, index);
            if (segment.State.Records.Count >= SegmentCapacity)
            {
                (_segment, _segmentIndex) = (new GrainState<FleetStateRecords>(new FleetStateRecords()), index + 1);
            }
        }
    }

    /// <summary>The record of <paramref name="modelId"/>, or null.</summary>
    public ModelRecord? Get(string modelId) => _records.GetValueOrDefault(modelId);

    /// <summary>Records, in order of first submission, optionally only those with <paramref name="status"/>.</summary>
    public IEnumerable<ModelRecord> All(ModelStatus? status = null) =>
        _order.Select(id => _records[id]).Where(r => status is null || r.Status == status);

    /// <summary>Changes a record in memory only (it becomes durable with the next <see cref="RecordAsync"/>).</summary>
    public void SetVolatile(ModelRecord record) => Apply(record);

    /// <summary>Changes a record and returns once it (and every change before it) is in storage.</summary>
    public async Task RecordAsync(ModelRecord record)
    {
        Apply(record);
        var mine = ++_appended;
        _pending.Add((mine, record));
        await _writer.WaitAsync();
        try
        {
            if (_written >= mine)
            {
                return; // a concurrent caller's write carried this record
            }

            await WritePendingAsync();
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// Stores the records applied in memory whose write failed (e.g. while Redis restarted); a no-op when every record is
    /// stored. A caller that is about to act on what <see cref="Get"/> answered (a queue acknowledging a model) calls it
    /// first. A failing write throws and keeps them pending.
    /// </summary>
    public async Task FlushAsync()
    {
        await _writer.WaitAsync();
        try
        {
            if (_pending.Count > 0)
            {
                await WritePendingAsync();
            }
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>Writes every pending record (the caller holds the writer lock).</summary>
    private async Task WritePendingAsync()
    {
        var batch = _pending.ToArray();
        _pending.Clear();
        try
        {
            await WriteAsync(batch.Select(p => p.Record).ToArray());
        }
        catch
        {
            // Written again with the next batch (a record stored twice is harmless: the latest of an id wins).
            _pending.InsertRange(0, batch);
            throw;
        }

        _written = batch[^1].Sequence;
    }

    private async Task WriteAsync(IReadOnlyList<ModelRecord> batch)
    {
        var next = 0;
        while (next < batch.Count)
        {
            var room = SegmentCapacity - _segment.State!.Records.Count;
            var take = Math.Min(room, batch.Count - next);
            _segment.State.Records.AddRange(batch.Skip(next).Take(take));
            await storage.WriteStateAsync(StateName(_segmentIndex), owner, _segment);
            Writes++;
            next += take;
            if (_segment.State.Records.Count >= SegmentCapacity)
            {
                (_segment, _segmentIndex) = (new GrainState<FleetStateRecords>(new FleetStateRecords()), _segmentIndex + 1);
            }
        }
    }

    private void Apply(ModelRecord record)
    {
        if (_records.TryGetValue(record.ModelId, out var previous))
        {
            _counts[(int)previous.Status]--;
        }
        else
        {
            _order.Add(record.ModelId);
        }

        _records[record.ModelId] = record;
        _counts[(int)record.Status]++;
    }

    private static string StateName(int segment) => $"fleet-records-{segment}";
}
