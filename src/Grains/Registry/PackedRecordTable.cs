using System.Collections;

namespace OrleansUws.Grains.Registry;

/// <summary>
/// The registry's records in memory, by id and in submission order: <see cref="PackedModelRecord"/>s in fixed chunks of
/// <see cref="ChunkLength"/> slots (40 KB each, so growing the fleet never re-allocates one large array and no model has
/// an object of its own) and an id → position index. Removing a record leaves a gap that enumeration skips; the gaps are
/// squeezed out (positions renumbered, order kept) once they outnumber both the records and a chunk, so removals cost
/// amortised O(1). Enumerating while the table changes throws, as for the framework's collections. Not thread-safe.
/// </summary>
internal sealed class PackedRecordTable : IEnumerable<KeyValuePair<string, PackedModelRecord>>
{
    /// <summary>Slots per chunk: 512 × 80 bytes stays below the large-object heap's threshold.</summary>
    public const int ChunkLength = 512;

    private readonly Dictionary<string, int> _positions = new(StringComparer.Ordinal);
    private readonly List<Slot[]> _chunks = [];
    private int _end;
    private int _version;

    /// <summary>Records held.</summary>
    public int Count => _positions.Count;

    /// <summary>The record of <paramref name="modelId"/>, if held.</summary>
    public bool TryGetValue(string modelId, out PackedModelRecord record)
    {
        var found = _positions.TryGetValue(modelId, out var position);
        record = found ? At(position).Record : default;
        return found;
    }

    /// <summary>Replaces the record of <paramref name="modelId"/> in its place, or appends it when new.</summary>
    public void Set(string modelId, PackedModelRecord record)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        _version++;
        if (_positions.TryGetValue(modelId, out var position))
        {
            At(position).Record = record;
            return;
        }

        if (_end == _chunks.Count * ChunkLength)
        {
            _chunks.Add(new Slot[ChunkLength]);
        }

        At(_end) = new Slot(modelId, record);
        _positions.Add(modelId, _end++);
    }

    /// <summary>Removes the record of <paramref name="modelId"/>; false when none is held.</summary>
    public bool Remove(string modelId, out PackedModelRecord record)
    {
        if (!_positions.Remove(modelId, out var position))
        {
            record = default;
            return false;
        }

        _version++;
        record = At(position).Record;
        At(position) = default;
        if (_end - Count > Math.Max(ChunkLength, Count))
        {
            Squeeze();
        }

        return true;
    }

    /// <summary>The records in submission order.</summary>
    public IEnumerator<KeyValuePair<string, PackedModelRecord>> GetEnumerator()
    {
        var version = _version;
        for (var position = 0; position < _end; position++)
        {
            var slot = At(position);
            if (slot.ModelId is not null)
            {
                yield return new(slot.ModelId, slot.Record);
                if (version != _version)
                {
                    throw new InvalidOperationException("The record table changed while it was being enumerated.");
                }
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private ref Slot At(int position) => ref _chunks[position / ChunkLength][position % ChunkLength];

    /// <summary>Moves every record down over the gaps before it, in order, and frees the chunks left empty.</summary>
    private void Squeeze()
    {
        var kept = 0;
        for (var position = 0; position < _end; position++)
        {
            var slot = At(position);
            if (slot.ModelId is not null)
            {
                At(kept) = slot;
                _positions[slot.ModelId] = kept++;
            }
        }

        for (var position = kept; position < _end; position++)
        {
            At(position) = default;
        }

        var chunks = (kept + ChunkLength - 1) / ChunkLength;
        _chunks.RemoveRange(chunks, _chunks.Count - chunks);
        _end = kept;
    }

    /// <summary>A record and its id; an id of null is a gap.</summary>
    private record struct Slot(string? ModelId, PackedModelRecord Record);
}
