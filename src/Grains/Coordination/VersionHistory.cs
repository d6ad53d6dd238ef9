using Orleans.Storage;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;

namespace OrleansUws.Grains.Coordination;

/// <summary>
/// A layer's version history (the convergence history), kept in <see cref="SealedSegments{T}"/> of
/// <see cref="SegmentVersions"/>: the coordinator's state holds the versions since the last sealed part
/// (<see cref="LayerCoordinatorState.History"/>), so publishing a version writes a bounded amount however many came
/// before; sealed parts are the coordinator grain's storage entries <c>history-{n}</c>.
/// </summary>
public sealed class VersionHistory(IGrainStorage storage, GrainId grain)
{
    /// <summary>Versions per sealed part (a coordinator writes at most this many entries of history per version).</summary>
    public const int SegmentVersions = 32;

    private readonly SealedSegments<BasisVersionInfo> _segments = new(storage, grain, "history", SegmentVersions);

    /// <summary>Adds <paramref name="info"/> to <paramref name="state"/>'s history; the caller writes the state afterwards.</summary>
    public async Task AppendAsync(LayerCoordinatorState state, BasisVersionInfo info)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.History.Add(info);
        state.SealedHistorySegments = await _segments.SealIfFullAsync(state.History, state.SealedHistorySegments);
    }

    /// <summary>Every version published, oldest first.</summary>
    public async Task<IReadOnlyList<BasisVersionInfo>> ReadAllAsync(LayerCoordinatorState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return [.. await _segments.ReadSealedAsync(state.SealedHistorySegments), .. state.History];
    }
}
