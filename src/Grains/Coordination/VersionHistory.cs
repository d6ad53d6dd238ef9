using Orleans.Storage;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;

namespace OrleansUws.Grains.Coordination;

/// <summary>
/// A layer's version history, stored so that publishing a version writes a bounded amount however many came before:
/// the coordinator's state holds the open segment (<see cref="LayerCoordinatorState.History"/>, fewer than
/// <see cref="SegmentVersions"/> entries once sealed), and each full segment becomes a storage entry of the coordinator
/// grain (<c>history-{n}</c>, <see cref="VersionHistorySegment"/>) written once. Sealed segments are read when the whole
/// history is asked for and kept in memory from then on (they never change).
/// </summary>
/// <remarks>
/// A segment is written before the state that counts it: a failure between the two leaves the entries in the open
/// segment, and the next seal writes the same entry name again with all of them.
/// </remarks>
public sealed class VersionHistory(IGrainStorage storage, GrainId grain)
{
    /// <summary>Versions per sealed segment (a coordinator writes at most this many entries of history per version).</summary>
    public const int SegmentVersions = 32;

    private readonly List<BasisVersionInfo[]> _sealed = [];

    /// <summary>
    /// Adds <paramref name="info"/> to the open segment of <paramref name="state"/>, sealing it into its own storage entry
    /// when full. The caller writes the coordinator's state afterwards.
    /// </summary>
    public async Task AppendAsync(LayerCoordinatorState state, BasisVersionInfo info)
    {
        state.History.Add(info);
        if (state.History.Count < SegmentVersions)
        {
            return;
        }

        var index = state.SealedHistorySegments;
        var entry = new GrainState<VersionHistorySegment>(new VersionHistorySegment { Versions = [.. state.History] });
        await storage.WriteStateAsync(EntryName(index), grain, entry);
        if (_sealed.Count == index)
        {
            _sealed.Add([.. state.History]);
        }

        state.SealedHistorySegments = index + 1;
        state.History.Clear();
    }

    /// <summary>Every version published, oldest first: the sealed segments, then the open one.</summary>
    public async Task<IReadOnlyList<BasisVersionInfo>> ReadAllAsync(LayerCoordinatorState state)
    {
        for (int index = _sealed.Count; index < state.SealedHistorySegments; index++)
        {
            var entry = new GrainState<VersionHistorySegment>(new VersionHistorySegment());
            await storage.ReadStateAsync(EntryName(index), grain, entry);
            _sealed.Add([.. entry.State?.Versions ?? []]);
        }

        return [.. _sealed.SelectMany(s => s), .. state.History];
    }

    private static string EntryName(int index) => $"history-{index}";
}
