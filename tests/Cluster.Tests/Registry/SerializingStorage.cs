using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansUws.Grains.State;

namespace OrleansUws.Cluster.Tests.Registry;

/// <summary>
/// Grain storage without a cluster that keeps each state serialized, as the silo's providers do (so nothing a caller
/// holds is shared with it), and checks versions as Redis grain storage does: a write or clear must name the stored
/// entry's version (none for an entry that does not exist), else it is refused with <see cref="InconsistentStateException"/>.
/// </summary>
internal sealed class SerializingStorage : IGrainStorage
{
    private static readonly Serializer Serializer = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(FleetStateRecords).Assembly))
        .BuildServiceProvider().GetRequiredService<Serializer>();

    private readonly Dictionary<(string, GrainId), (byte[] Bytes, string ETag)> _states = [];
    private int _version;

    /// <summary>Entries stored.</summary>
    public int Count => _states.Count;

    /// <summary>The state names of the entries stored.</summary>
    public IEnumerable<string> Names => _states.Keys.Select(k => k.Item1);

    /// <summary>When set, clearing an entry whose name it accepts fails as a lost connection would (nothing changes).</summary>
    public Func<string, bool>? FailClears { get; set; }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_states.TryGetValue((stateName, grainId), out var stored))
        {
            (grainState.State, grainState.RecordExists, grainState.ETag) = (Serializer.Deserialize<T>(stored.Bytes), true, stored.ETag);
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        CheckVersion(stateName, grainId, grainState.ETag);
        var etag = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _states[(stateName, grainId)] = (Serializer.SerializeToArray(grainState.State), etag);
        (grainState.RecordExists, grainState.ETag) = (true, etag);
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (FailClears?.Invoke(stateName) == true)
        {
            throw new IOException($"Clearing '{stateName}' failed (injected).");
        }

        CheckVersion(stateName, grainId, grainState.ETag);
        _states.Remove((stateName, grainId));
        (grainState.RecordExists, grainState.ETag) = (false, null);
        return Task.CompletedTask;
    }

    private void CheckVersion(string stateName, GrainId grainId, string? etag)
    {
        var stored = _states.TryGetValue((stateName, grainId), out var entry) ? entry.ETag : null;
        if (stored != etag)
        {
            throw new InconsistentStateException($"Version conflict on '{stateName}': stored {stored ?? "none"}, given {etag ?? "none"}.", stored, etag);
        }
    }
}
