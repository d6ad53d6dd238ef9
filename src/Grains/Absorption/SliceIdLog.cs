using Orleans.Storage;
using OrleansUws.Grains.Coordination;
using OrleansUws.Grains.State;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// A slice's absorbed model ids, stored so that a checkpoint writes a bounded amount however many models the slice
/// holds: ids absorbed since the last sealed part in the slice's state (<see cref="LayerSliceState.OpenIds"/>), the rest
/// in <see cref="SealedSegments{T}"/> of at least <see cref="SegmentIds"/> (storage entries <c>slice-ids-{n}</c> of the
/// slice grain), and the ids of sealed parts whose models were removed (<see cref="LayerSliceState.RemovedIds"/>;
/// removals are rare, and a sealed part is never rewritten). The whole set is kept in memory for lookups, read once at
/// activation. Changes reach storage with the slice's next checkpoint (<see cref="SealAsync"/>, then the state), so the
/// stored set always matches the stored sketch.
/// </summary>
public sealed class SliceIdLog(IGrainStorage storage, GrainId grain)
{
    /// <summary>Ids a checkpoint seals into a part once the open ones reach it.</summary>
    public const int SegmentIds = 64;

    private readonly SealedSegments<string> _segments = new(storage, grain, "slice-ids", SegmentIds);
    private readonly ModelIdSet _all = new();

    /// <summary>Models held.</summary>
    public int Count => _all.Count;

    /// <summary>Whether <paramref name="modelId"/> is held.</summary>
    public bool Contains(string modelId) => _all.Contains(modelId);

    /// <summary>Every id held, in ordinal order.</summary>
    public IReadOnlyList<string> Ordered() => _all.Ids;

    /// <summary>Reads the stored set (at activation): the sealed parts, less the removed ids, plus the open ones.</summary>
    public async Task LoadAsync(LayerSliceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var removed = state.RemovedIds;
        _all.Ids = [.. (await _segments.ReadSealedAsync(state.SealedIdSegments)).Where(id => !removed.Contains(id)), .. state.OpenIds];
    }

    /// <summary>Records <paramref name="modelId"/> as held (its rows are in the slice's sketch); false when it already was.</summary>
    public bool Add(LayerSliceState state, string modelId)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!_all.Add(modelId))
        {
            return false;
        }

        // An id removed from a sealed part is in that part still: held again once it is no longer marked removed.
        if (!state.RemovedIds.Remove(modelId))
        {
            state.OpenIds.Add(modelId);
        }

        return true;
    }

    /// <summary>Records that <paramref name="modelId"/> is no longer held; false when it was not.</summary>
    public bool Remove(LayerSliceState state, string modelId)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!_all.Remove(modelId))
        {
            return false;
        }

        if (!state.OpenIds.Remove(modelId))
        {
            state.RemovedIds.Add(modelId);
        }

        return true;
    }

    /// <summary>Before the state is written: seals the open ids into the next part once they are <see cref="SegmentIds"/> or more.</summary>
    public async Task SealAsync(LayerSliceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.SealedIdSegments = await _segments.SealIfFullAsync(state.OpenIds, state.SealedIdSegments);
    }

    /// <summary>Forgets every id: the state is written through <paramref name="writeState"/> first, then the sealed parts are cleared.</summary>
    public async Task ClearAsync(LayerSliceState state, Func<Task> writeState)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(writeState);
        int sealedCount = state.SealedIdSegments;
        _all.Clear();
        state.OpenIds.Clear();
        state.RemovedIds.Clear();
        state.SealedIdSegments = 0;
        await writeState();
        await _segments.ClearAsync(sealedCount);
    }
}
