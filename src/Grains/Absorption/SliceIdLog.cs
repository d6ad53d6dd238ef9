using Orleans.Storage;
using OrleansUws.Grains.Coordination;
using OrleansUws.Grains.State;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// A slice's absorbed model ids, stored so that a checkpoint writes a bounded amount however many models the slice
/// holds: ids absorbed since the last sealed part in the slice's state (<see cref="LayerSliceState.OpenIds"/>), the rest
/// in <see cref="SealedSegments{T}"/> of at least <see cref="SegmentIds"/> (storage entries of the slice grain), and the
/// ids of sealed parts whose models were removed (<see cref="LayerSliceState.RemovedIds"/>: a sealed part is never
/// rewritten). When the removed ids reach <see cref="SegmentIds"/> and an eighth of the sealed ones, the checkpoint
/// writes every held id as a new generation of parts and the state switches to it (the old generation is cleared once
/// the state no longer names it), so the removed ids stay bounded too and a rewrite is paid for by the removals that
/// made it. The state that switches records the superseded generation (<see cref="LayerSliceState.SupersededIdParts"/>)
/// until its parts are cleared, after that write or, when the silo died in between, at the next activation. The whole
/// set is kept in memory for lookups, read once at activation. Changes reach storage with the slice's next checkpoint
/// (<see cref="SealAsync"/>, the state, then <see cref="AfterWriteAsync"/>), so the stored set always matches the stored
/// sketch.
/// </summary>
public sealed class SliceIdLog(IGrainStorage storage, GrainId grain)
{
    /// <summary>Ids a checkpoint seals into a part once the open ones reach it.</summary>
    public const int SegmentIds = 64;

    private readonly ModelIdSet _all = new();
    private SealedSegments<string>? _segments;
    private int _segmentsGeneration = -1;

    /// <summary>Models held.</summary>
    public int Count => _all.Count;

    /// <summary>Whether <paramref name="modelId"/> is held.</summary>
    public bool Contains(string modelId) => _all.Contains(modelId);

    /// <summary>Every id held, in ordinal order.</summary>
    public IReadOnlyList<string> Ordered() => _all.Ids;

    /// <summary>
    /// Reads the stored set (at activation): the sealed parts, less the removed ids, plus the open ones; then clears the
    /// parts of generations the stored state superseded but an earlier activation did not get to clear.
    /// </summary>
    public async Task LoadAsync(LayerSliceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var removed = state.RemovedIds;
        var sealedIds = await Segments(state.IdGeneration).ReadSealedAsync(state.SealedIdSegments);
        _all.Ids = [.. sealedIds.Where(id => !removed.Contains(id)), .. state.OpenIds];
        await AfterWriteAsync(state);
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

    /// <summary>
    /// Before the state is written: seals the open ids into the next part once they are <see cref="SegmentIds"/> or more,
    /// or, when the removed ids have grown past their bound, writes every held id as the next generation of parts.
    /// </summary>
    public async Task SealAsync(LayerSliceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.RemovedIds.Count >= Math.Max(SegmentIds, state.SealedIdSegments * SegmentIds / 8))
        {
            await RewriteAsync(state);
            return;
        }

        state.SealedIdSegments = await Segments(state.IdGeneration).SealIfFullAsync(state.OpenIds, state.SealedIdSegments);
    }

    /// <summary>
    /// After the state was written: clears the parts of the generations it superseded and drops them from its record
    /// (the next written state no longer names them; clearing again what is gone is a read).
    /// </summary>
    public async Task AfterWriteAsync(LayerSliceState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var (generation, parts) in state.SupersededIdParts.OrderBy(p => p.Key).ToArray())
        {
            await new SealedSegments<string>(storage, grain, Prefix(generation), SegmentIds).ClearAsync(parts);
            state.SupersededIdParts.Remove(generation);
        }
    }

    /// <summary>
    /// Forgets every id: the state, naming a new empty generation, is written through <paramref name="writeState"/> first,
    /// then the sealed parts are cleared (a generation is never written again once superseded, so parts a failed clear
    /// leaves behind are never taken for new ones).
    /// </summary>
    public async Task ClearAsync(LayerSliceState state, Func<Task> writeState)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(writeState);
        state.SupersededIdParts[state.IdGeneration] = state.SealedIdSegments;
        _all.Clear();
        state.OpenIds.Clear();
        state.RemovedIds.Clear();
        state.IdGeneration++;
        state.SealedIdSegments = 0;
        await writeState();
        await AfterWriteAsync(state);
    }

    /// <summary>Every held id into full parts of the next generation, the rest open; the current generation is superseded.</summary>
    private async Task RewriteAsync(LayerSliceState state)
    {
        var next = state.IdGeneration + 1;
        var segments = Segments(next);
        var ids = _all.Ids;
        var parts = 0;
        foreach (var chunk in ids.Chunk(SegmentIds).Where(c => c.Length == SegmentIds))
        {
            parts = await segments.SealIfFullAsync(chunk.ToList(), parts);
        }

        state.SupersededIdParts[state.IdGeneration] = state.SealedIdSegments;
        state.IdGeneration = next;
        state.SealedIdSegments = parts;
        state.OpenIds = [.. ids.Skip(parts * SegmentIds)];
        state.RemovedIds.Clear();
    }

    private SealedSegments<string> Segments(int generation)
    {
        if (generation != _segmentsGeneration)
        {
            (_segments, _segmentsGeneration) = (new SealedSegments<string>(storage, grain, Prefix(generation), SegmentIds), generation);
        }

        return _segments!;
    }

    /// <summary>Entry names of a generation's parts: <c>slice-ids-{n}</c> for the first, <c>slice-ids-g{generation}-{n}</c> after.</summary>
    private static string Prefix(int generation) => generation == 0 ? "slice-ids" : $"slice-ids-g{generation}";
}
