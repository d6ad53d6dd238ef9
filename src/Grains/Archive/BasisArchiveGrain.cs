using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;
using OrleansUws.Grains.Coordination;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;
using OrleansUws.Grains.State;

namespace OrleansUws.Grains.Archive;

/// <summary>
/// Keeps the last <see cref="UwsClusterOptions.BasisVersionsKept"/> published bases of one layer and mode. Each version
/// is its own storage entry of this grain (state name <c>basis-v{version}</c>), read back only when asked for, so
/// publishing writes one basis and the grain holds nothing but the index in memory; the index (<see cref="BasisArchiveState"/>)
/// lists the retained versions. Evicted entries are cleared from storage. The storage versions (ETags) of the entries this
/// activation wrote are kept, so a version neither reads an entry before writing it nor reads the evicted one back (a
/// whole k×d basis) to clear it.
/// </summary>
[GrainType("uws-basis-archive")]
public sealed partial class BasisArchiveGrain(
    [PersistentState("basis-archive", UwsStorage.Name)] IPersistentState<BasisArchiveState> index,
    IOptions<UwsClusterOptions> options,
    ILogger<BasisArchiveGrain> logger) : Grain, IBasisArchiveGrain
{
    private readonly Dictionary<int, string?> _written = [];

    private IGrainStorage Storage => UwsStorage.Of(ServiceProvider);

    /// <inheritdoc />
    public async Task ArchiveAsync(LayerBasis basis)
    {
        ArgumentNullException.ThrowIfNull(basis);
        if (basis.Vectors.Length == 0)
        {
            return;
        }

        // A new version has no entry; one written again is at the version this activation got. Any other (written by an
        // earlier activation, or by a call that failed before the index named it) is read and written over.
        var version = basis.Info.Version;
        var entry = new GrainState<ArchivedBasisState>(new ArchivedBasisState { Basis = basis }) { ETag = _written.GetValueOrDefault(version) };
        await StorageEntry.WriteOverAsync(Storage, EntryName(version), this.GetGrainId(), entry);
        _written[version] = entry.ETag;

        var versions = index.State.Versions;
        if (!versions.Contains(version))
        {
            versions.Add(version);
            versions.Sort();
        }

        var evicted = versions.Take(Math.Max(0, versions.Count - options.Value.BasisVersionsKept)).ToArray();
        foreach (var old in evicted)
        {
            // Cleared before the index forgets it: an entry is never left in storage without the index naming it.
            var known = _written.Remove(old, out var written);
            await StorageEntry.ClearAsync<ArchivedBasisState>(Storage, EntryName(old), this.GetGrainId(), written, known);
            versions.Remove(old);
        }

        await index.WriteStateAsync();
        if (evicted.Length > 0)
        {
            LogEvicted(logger, this.GetPrimaryKeyString(), evicted.Length, versions[0], versions[^1]);
        }
    }

    /// <inheritdoc />
    public async Task<LayerBasis?> GetAsync(int version) =>
        index.State.Versions.Contains(version) ? (await ReadAsync(version)).State!.Basis : null;

    /// <inheritdoc />
    public Task<IReadOnlyList<int>> GetVersionsAsync() => Task.FromResult<IReadOnlyList<int>>(index.State.Versions.ToArray());

    private async Task<GrainState<ArchivedBasisState>> ReadAsync(int version)
    {
        var entry = new GrainState<ArchivedBasisState>(new ArchivedBasisState());
        await Storage.ReadStateAsync(EntryName(version), this.GetGrainId(), entry);
        entry.State ??= new ArchivedBasisState();
        return entry;
    }

    private static string EntryName(int version) => $"basis-v{version}";

    [LoggerMessage(Level = LogLevel.Debug, Message = "Layer {Layer}: {Count} archived basis version(s) evicted; versions {First}–{Last} retained")]
    private static partial void LogEvicted(ILogger logger, string layer, int count, int first, int last);
}
