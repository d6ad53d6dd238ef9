using Orleans.Storage;
using OrleansUws.Grains.Coordination;
using OrleansUws.Grains.State;

namespace OrleansUws.Grains.Flattened;

/// <summary>
/// A flattened layer's model ids as its coordinator keeps them: the ids since the last sealed part in the coordinator's
/// state (<see cref="LayerCoordinatorState.FlattenedModelIds"/>), the rest in <see cref="SealedSegments{T}"/> of
/// <see cref="SegmentIds"/> (the coordinator grain's storage entries <c>flattened-ids-{n}</c>), and the count
/// (<see cref="LayerCoordinatorState.FlattenedModelCount"/>), so absorbing a model writes a bounded state however many
/// came before. The whole set is read once, when an id must first be looked up.
/// </summary>
public sealed class FlattenedIdLog(IGrainStorage storage, GrainId grain)
{
    /// <summary>Ids per sealed part.</summary>
    public const int SegmentIds = 64;

    private readonly SealedSegments<string> _segments = new(storage, grain, "flattened-ids", SegmentIds);
    private HashSet<string>? _all;

    /// <summary>Every id the layer holds.</summary>
    public async Task<IReadOnlySet<string>> AllAsync(LayerCoordinatorState state) => await LoadAsync(state);

    /// <summary>Records <paramref name="modelId"/> (its row is in every column slice); the caller writes the state afterwards.</summary>
    public async Task AddAsync(LayerCoordinatorState state, string modelId)
    {
        ArgumentNullException.ThrowIfNull(state);
        (await LoadAsync(state)).Add(modelId);
        state.FlattenedModelIds.Add(modelId);
        state.FlattenedModelCount++;
        state.SealedFlattenedIdSegments = await _segments.SealIfFullAsync(state.FlattenedModelIds, state.SealedFlattenedIdSegments);
    }

    /// <summary>Forgets every id (the layer is rebuilt): the state is written through <paramref name="writeState"/> first, then the sealed parts are cleared.</summary>
    public async Task ClearAsync(LayerCoordinatorState state, Func<Task> writeState)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(writeState);
        int sealedCount = state.SealedFlattenedIdSegments;
        state.FlattenedModelIds.Clear();
        state.SealedFlattenedIdSegments = 0;
        state.FlattenedModelCount = 0;
        _all = [];
        await writeState();
        await _segments.ClearAsync(sealedCount);
    }

    private async Task<HashSet<string>> LoadAsync(LayerCoordinatorState state) =>
        _all ??= [.. await _segments.ReadSealedAsync(state.SealedFlattenedIdSegments), .. state.FlattenedModelIds];
}
