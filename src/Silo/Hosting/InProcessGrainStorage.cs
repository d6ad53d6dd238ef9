using Orleans.Serialization;
using Orleans.Storage;

namespace OrleansUws.Silo.Hosting;

/// <summary>
/// Grain storage for a silo that is its cluster's only one (the embedded <c>uws</c> process, <c>Uws:Silo:InProcessStorage</c>):
/// entries live in this process, as deep copies made by Orleans' copier, so a grain that changes its state after a
/// write (or after a read) never changes what is stored, while immutable values — a basis version's vectors — are kept
/// by reference instead of being serialised and copied again. Orleans' memory storage, which a silo without Redis uses
/// otherwise, serialises every write and hands the bytes to a storage grain that copies them once more, so that silos
/// in other processes can reach them; with one silo nothing needs to. Versions follow that storage's rules: an entry
/// never written accepts any ETag, a cleared one accepts none or its own, a stored one only its own (else
/// <see cref="InconsistentStateException"/>); a cleared entry reads as absent.
/// </summary>
public sealed class InProcessGrainStorage(DeepCopier copier) : IGrainStorage
{
    private readonly DeepCopier _copier = copier ?? throw new ArgumentNullException(nameof(copier));
    private readonly Dictionary<(string StateName, GrainId Grain), Entry> _entries = [];
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        Entry? entry;
        lock (_lock)
        {
            _entries.TryGetValue((stateName, grainId), out entry);
        }

        if (entry is { Cleared: false })
        {
            grainState.State = entry.State is T state ? _copier.Copy(state) : Activator.CreateInstance<T>();
            grainState.ETag = entry.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var copy = _copier.Copy(grainState.State);
        var etag = Guid.NewGuid().ToString("N");
        lock (_lock)
        {
            Check(stateName, grainId, grainState.ETag, "write");
            _entries[(stateName, grainId)] = new Entry(copy, etag, Cleared: false);
        }

        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        lock (_lock)
        {
            Check(stateName, grainId, grainState.ETag, "clear");
            _entries[(stateName, grainId)] = new Entry(null, string.Empty, Cleared: true);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private void Check(string stateName, GrainId grainId, string? etag, string operation)
    {
        if (!_entries.TryGetValue((stateName, grainId), out var stored) || (stored.Cleared && etag is null) || stored.ETag == etag)
        {
            return;
        }

        throw new InconsistentStateException(
            $"Cannot {operation} '{stateName}' of {grainId}: it is stored at version '{stored.ETag}', the caller holds '{etag ?? "none"}'.",
            stored.ETag, etag ?? string.Empty);
    }

    private sealed record Entry(object? State, string ETag, bool Cleared);
}
