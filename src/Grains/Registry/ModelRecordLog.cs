using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;
using Orleans.Storage;

namespace OrleansUws.Grains.Registry;

/// <summary>
/// A fleet registry's per-model records, stored as an append-only log of fixed-size segments in grain storage (state
/// names <c>fleet-records-{n}</c> of the registry grain), so recording model T+1 writes one segment of at most
/// <see cref="SegmentCapacity"/> records whatever T is. Every change appends the model's new record; the latest record
/// of an id wins when the log is replayed at activation. Concurrent writers share one storage write (group commit).
/// When the log holds more than twice the kept records (plus a segment), it is compacted: the kept records are written
/// as the next generation of segments, then a small head (<see cref="FleetRecordsHead"/>) switches to it, then the old
/// generation is cleared — a crash at any point leaves one complete generation that the head names (and the head records
/// the old generation until it is cleared, so a crash before that clears it at the next activation), and the cost is
/// amortised over the appends that made the garbage.
/// Counts per status are maintained as records change. At most <paramref name="rejectionsKept"/> rejected or quarantined
/// records are kept: beyond it the one rejected longest ago is dropped (absorbed, queued and deleted records never are),
/// still counted in its status, so the counts stay exact; an id whose record was dropped is unknown again. Replay applies
/// the same rule to the same sequence, so it drops the same records. Use from one grain's turns (not thread-safe otherwise).
/// </summary>
public sealed class ModelRecordLog(IGrainStorage storage, GrainId owner, int rejectionsKept = int.MaxValue)
{
    /// <summary>Records per segment: the most one write carries.</summary>
    public const int SegmentCapacity = 256;

    private readonly PackedRecordTable _records = new();
    private readonly Dictionary<string, string> _hashesAside = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ModelRecord?> _unstored = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _rejections = [];
    private readonly Dictionary<string, LinkedListNode<string>> _rejectionNodes = new(StringComparer.Ordinal);
    private readonly int[] _counts = new int[Enum.GetValues<ModelStatus>().Length];
    private readonly int[] _dropped = new int[Enum.GetValues<ModelStatus>().Length];
    private readonly int _rejectionsKept = rejectionsKept >= 1
        ? rejectionsKept
        : throw new ArgumentOutOfRangeException(nameof(rejectionsKept), rejectionsKept, "At least one rejection record must be kept.");
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly List<(long Sequence, ModelRecord Record)> _pending = [];
    private GrainState<FleetStateRecords> _segment = new(new FleetStateRecords());
    private GrainState<FleetRecordsHead> _head = new(new FleetRecordsHead());
    private int _segmentIndex;
    private long _stored;
    private long _appended;
    private long _written;

    /// <summary>Records kept (models known, less the dropped rejection records).</summary>
    public int Count => _records.Count;

    /// <summary>Storage writes so far (for diagnostics and the benchmark).</summary>
    public long Writes { get; private set; }

    /// <summary>Models per status, the dropped rejection records included, and how many of those were dropped.</summary>
    public ModelCounts Counts => new(
        Total(ModelStatus.Queued), Total(ModelStatus.Absorbed), Total(ModelStatus.Rejected), Total(ModelStatus.Quarantined), Total(ModelStatus.Deleted),
        _dropped[(int)ModelStatus.Rejected], _dropped[(int)ModelStatus.Quarantined]);

    /// <summary>Records in the current generation of the log, superseded ones included.</summary>
    public long Stored => _stored;

    /// <summary>
    /// Replays every stored segment of the current generation (once, at activation), after clearing the segments of the
    /// generation the head superseded when an earlier activation did not get to.
    /// </summary>
    public async Task LoadAsync()
    {
        await storage.ReadStateAsync(HeadName, owner, _head);
        _head.State ??= new FleetRecordsHead();
        await ClearSupersededAsync();
        _dropped[(int)ModelStatus.Rejected] = _head.State.RejectedDropped;
        _dropped[(int)ModelStatus.Quarantined] = _head.State.QuarantinedDropped;
        for (var index = 0; ; index++)
        {
            var segment = await ReadSegmentAsync(_head.State.Generation, index);
            if (!segment.RecordExists)
            {
                break;
            }

            foreach (var record in segment.State!.Records)
            {
                Apply(record, stored: true);
            }

            _stored += segment.State.Records.Count;
            (_segment, _segmentIndex) = (segment, index);
            if (segment.State.Records.Count >= SegmentCapacity)
            {
                (_segment, _segmentIndex) = (new GrainState<FleetStateRecords>(new FleetStateRecords()), index + 1);
            }
        }
    }

    /// <summary>The record of <paramref name="modelId"/>, or null.</summary>
    public ModelRecord? Get(string modelId) => _records.TryGetValue(modelId, out var record) ? Unpack(modelId, record) : null;

    /// <summary>Records kept, in order of first submission, optionally only those with <paramref name="status"/>.</summary>
    public IEnumerable<ModelRecord> All(ModelStatus? status = null) =>
        Kept(status).Select(p => Unpack(p.Key, p.Value));

    /// <summary>Ids of the records kept with <paramref name="status"/>, in order of first submission.</summary>
    public IEnumerable<string> Ids(ModelStatus status) => Kept(status).Select(p => p.Key);

    /// <summary>Changes a record in memory only (it becomes durable with the next <see cref="RecordAsync"/>).</summary>
    public void SetVolatile(ModelRecord record) => Apply(record, stored: false);

    /// <summary>Changes a record and returns once it (and every change before it) is in storage.</summary>
    public async Task RecordAsync(ModelRecord record)
    {
        Apply(record, stored: true);
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
        if (_stored > (2L * _records.Count) + SegmentCapacity)
        {
            await CompactAsync();
        }
    }

    private async Task WriteAsync(IReadOnlyList<ModelRecord> batch)
    {
        var next = 0;
        while (next < batch.Count)
        {
            var room = SegmentCapacity - _segment.State!.Records.Count;
            var take = Math.Min(room, batch.Count - next);
            _segment.State.Records.AddRange(batch.Skip(next).Take(take));
            await storage.WriteStateAsync(StateName(_head.State!.Generation, _segmentIndex), owner, _segment);
            Writes++;
            _stored += take;
            next += take;
            if (_segment.State.Records.Count >= SegmentCapacity)
            {
                (_segment, _segmentIndex) = (new GrainState<FleetStateRecords>(new FleetStateRecords()), _segmentIndex + 1);
            }
        }
    }

    /// <summary>
    /// Writes the kept records (the last stored record of each, in submission order) as the next generation, switches
    /// the head to it and clears the old generation. Called under the writer lock, after a write.
    /// </summary>
    private async Task CompactAsync()
    {
        // A clear that failed after the last switch first: the head records one superseded generation at a time.
        await ClearSupersededAsync();
        var head = _head.State!;
        var generation = head.Generation + 1;
        var kept = _records.Select(p => _unstored.TryGetValue(p.Key, out var stored) ? stored : Unpack(p.Key, p.Value)).OfType<ModelRecord>().ToArray();
        var segments = 0;
        var last = new GrainState<FleetStateRecords>(new FleetStateRecords());
        foreach (var chunk in kept.Chunk(SegmentCapacity))
        {
            last = await ReadSegmentAsync(generation, segments); // an earlier attempt may have left it: take its ETag
            last.State = new FleetStateRecords { Records = [.. chunk] };
            await storage.WriteStateAsync(StateName(generation, segments++), owner, last);
            Writes++;
        }

        // Leftovers of an interrupted earlier attempt after the last segment would be replayed: clear them first.
        await ClearSegmentsAsync(generation, segments);
        (head.Generation, head.RejectedDropped, head.QuarantinedDropped, head.SupersededSegments) =
            (generation, _dropped[(int)ModelStatus.Rejected], _dropped[(int)ModelStatus.Quarantined], _segmentIndex + 1);
        try
        {
            await storage.WriteStateAsync(HeadName, owner, _head);
            Writes++;
        }
        catch
        {
            // The write may have landed all the same: the head in storage decides which generation appends go to.
            var stored = new GrainState<FleetRecordsHead>(new FleetRecordsHead());
            await storage.ReadStateAsync(HeadName, owner, stored);
            _head = stored;
            _head.State ??= new FleetRecordsHead();
            if (_head.State.Generation != generation)
            {
                throw;
            }
        }
        _stored = kept.Length;
        (_segment, _segmentIndex) = kept.Length % SegmentCapacity != 0
            ? (last, segments - 1)
            : (new GrainState<FleetStateRecords>(new FleetStateRecords()), segments);
        await ClearSupersededAsync();
    }

    /// <summary>Clears the segments of the generation before the head's, when it records any, then records that they are gone.</summary>
    private async Task ClearSupersededAsync()
    {
        var head = _head.State!;
        if (head.SupersededSegments == 0)
        {
            return;
        }

        await ClearSegmentsAsync(head.Generation - 1, 0, head.SupersededSegments);
        head.SupersededSegments = 0;
        await storage.WriteStateAsync(HeadName, owner, _head);
        Writes++;
    }

    /// <summary>Clears the segments of <paramref name="generation"/> from <paramref name="first"/> on (all that exist, or <paramref name="count"/>).</summary>
    private async Task ClearSegmentsAsync(int generation, int first, int count = int.MaxValue)
    {
        for (var index = first; index - first < count; index++)
        {
            var segment = await ReadSegmentAsync(generation, index);
            if (!segment.RecordExists)
            {
                return;
            }

            await storage.ClearStateAsync(StateName(generation, index), owner, segment);
        }
    }

    private async Task<GrainState<FleetStateRecords>> ReadSegmentAsync(int generation, int index)
    {
        var segment = new GrainState<FleetStateRecords>(new FleetStateRecords());
        await storage.ReadStateAsync(StateName(generation, index), owner, segment);
        segment.State ??= new FleetStateRecords();
        return segment;
    }

    private void Apply(ModelRecord record, bool stored)
    {
        var id = record.ModelId;
        if (_records.TryGetValue(id, out var previous))
        {
            _counts[(int)previous.Status]--;
            if (_rejectionNodes.Remove(id, out var node))
            {
                _rejections.Remove(node);
            }

            if (!stored)
            {
                _unstored.TryAdd(id, Unpack(id, previous)); // the first volatile change keeps the record it supersedes
            }
        }
        else if (!stored)
        {
            _unstored[id] = null;
        }

        if (stored)
        {
            _unstored.Remove(id);
        }

        var packed = PackedModelRecord.Pack(record);
        if (packed.HashAside)
        {
            _hashesAside[id] = record.ContentHash!;
        }
        else
        {
            _hashesAside.Remove(id);
        }

        _records.Set(id, packed);
        _counts[(int)record.Status]++;
        if (IsRejection(record.Status))
        {
            _rejectionNodes[id] = _rejections.AddLast(id);
            if (_rejections.Count > _rejectionsKept)
            {
                Drop(_rejections.First!.Value);
            }
        }
    }

    /// <summary>Forgets the record of <paramref name="modelId"/> (a rejection), keeping it in the counts.</summary>
    private void Drop(string modelId)
    {
        _records.Remove(modelId, out var record);
        _rejectionNodes.Remove(modelId, out var node);
        _rejections.Remove(node!);
        _hashesAside.Remove(modelId);
        _unstored.Remove(modelId);
        var status = (int)record.Status;
        _counts[status]--;
        _dropped[status]++;
    }

    private IEnumerable<KeyValuePair<string, PackedModelRecord>> Kept(ModelStatus? status) =>
        _records.Where(p => status is null || p.Value.Status == status);

    private ModelRecord Unpack(string modelId, PackedModelRecord record) =>
        record.Unpack(modelId, record.HashAside ? _hashesAside[modelId] : null);

    private int Total(ModelStatus status) => _counts[(int)status] + _dropped[(int)status];

    private static bool IsRejection(ModelStatus status) => status is ModelStatus.Rejected or ModelStatus.Quarantined;

    private const string HeadName = "fleet-records-head";

    private static string StateName(int generation, int segment) =>
        generation == 0 ? $"fleet-records-{segment}" : $"fleet-records-g{generation}-{segment}";
}
