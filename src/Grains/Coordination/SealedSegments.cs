using Orleans.Storage;
using OrleansUws.Grains.State;

namespace OrleansUws.Grains.Coordination;

/// <summary>
/// An append-only sequence a grain keeps so that each append writes a bounded amount however long the sequence is: the
/// grain's own state holds the open part and the number of sealed parts; every <see cref="Length"/> items the open part
/// becomes a storage entry of the grain (<c>{prefix}-{n}</c>, <see cref="SealedSegment{T}"/>), written once, read back
/// when the whole sequence is asked for and cached from then on (sealed parts never change).
/// </summary>
/// <remarks>
/// A part is written before the state that counts it is: a failure between the two leaves its items in the open part,
/// and the next seal writes the same entry again with all of them (over the uncounted one, whose version it reads first:
/// storage refuses a blind overwrite).
/// </remarks>
/// <typeparam name="T">The items.</typeparam>
public sealed class SealedSegments<T>(IGrainStorage storage, GrainId grain, string prefix, int length)
{
    private readonly List<IReadOnlyList<T>> _sealed = [];

    /// <summary>Items per sealed part.</summary>
    public int Length => length;

    /// <summary>
    /// When <paramref name="open"/> holds <see cref="Length"/> items or more, writes them as part
    /// <paramref name="sealedCount"/> and empties <paramref name="open"/>. Returns the number of sealed parts the owner's
    /// state must record (then written by the owner).
    /// </summary>
    public async Task<int> SealIfFullAsync(ICollection<T> open, int sealedCount)
    {
        ArgumentNullException.ThrowIfNull(open);
        if (open.Count < length)
        {
            return sealedCount;
        }

        var part = new SealedSegment<T> { Items = [.. open] };
        await StorageEntry.WriteOverAsync(storage, EntryName(sealedCount), grain, new GrainState<SealedSegment<T>>(part));
        if (_sealed.Count == sealedCount)
        {
            _sealed.Add(part.Items);
        }

        open.Clear();
        return sealedCount + 1;
    }

    /// <summary>
    /// The items of the first <paramref name="sealedCount"/> sealed parts, in order. Interleaved callers (a grain's
    /// read-only calls may interleave) each cache a part only if no other did meanwhile.
    /// </summary>
    public async Task<IReadOnlyList<T>> ReadSealedAsync(int sealedCount)
    {
        for (int index = _sealed.Count; index < sealedCount; index = _sealed.Count)
        {
            var part = (await ReadAsync(index)).State?.Items ?? [];
            if (_sealed.Count == index)
            {
                _sealed.Add(part);
            }
        }

        return [.. _sealed.Take(sealedCount).SelectMany(part => part)];
    }

    /// <summary>
    /// Clears the entries of <paramref name="sealedCount"/> sealed parts; call it after the owner's state no longer
    /// counts them (an entry left behind by a failure is overwritten by the next seal at its index).
    /// </summary>
    public async Task ClearAsync(int sealedCount)
    {
        _sealed.Clear();
        for (int index = 0; index < sealedCount; index++)
        {
            await StorageEntry.ClearAsync<SealedSegment<T>>(storage, EntryName(index), grain, etag: null, known: false);
        }
    }

    private async Task<GrainState<SealedSegment<T>>> ReadAsync(int index)
    {
        var entry = new GrainState<SealedSegment<T>>(new SealedSegment<T>());
        await storage.ReadStateAsync(EntryName(index), grain, entry);
        return entry;
    }

    private string EntryName(int index) => $"{prefix}-{index}";
}
