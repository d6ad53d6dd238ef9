using Orleans.Storage;

namespace OrleansUws.Grains.Coordination;

/// <summary>Writes of a grain's own extra storage entries (sealed parts, archived bases) besides its persistent state.</summary>
internal static class StorageEntry
{
    /// <summary>
    /// Writes <paramref name="entry"/> as <paramref name="name"/> of <paramref name="grain"/> at the version it names; when
    /// storage refuses (the stored entry is at another version: left by a write whose owner's state never counted it),
    /// reads the stored version and writes over it. Storage refuses a blind overwrite, so without this such an entry
    /// would block every later write of the same name.
    /// </summary>
    public static async Task WriteOverAsync<T>(IGrainStorage storage, string name, GrainId grain, GrainState<T> entry)
        where T : new()
    {
        try
        {
            await storage.WriteStateAsync(name, grain, entry);
        }
        catch (InconsistentStateException)
        {
            var stored = new GrainState<T>(new T());
            await storage.ReadStateAsync(name, grain, stored);
            entry.ETag = stored.ETag;
            await storage.WriteStateAsync(name, grain, entry);
        }
    }

    /// <summary>
    /// Clears <paramref name="name"/> of <paramref name="grain"/>: at <paramref name="etag"/> when the caller wrote the
    /// entry itself and kept its version (<paramref name="known"/>), else (or when storage refuses that version) at the
    /// version read back; nothing when no entry is stored.
    /// </summary>
    public static async Task ClearAsync<T>(IGrainStorage storage, string name, GrainId grain, string? etag, bool known)
        where T : new()
    {
        if (known)
        {
            try
            {
                await storage.ClearStateAsync(name, grain, new GrainState<T>(new T()) { ETag = etag, RecordExists = true });
                return;
            }
            catch (InconsistentStateException)
            {
                // Written since by someone else: cleared at the version stored.
            }
        }

        var stored = new GrainState<T>(new T());
        await storage.ReadStateAsync(name, grain, stored);
        if (stored.RecordExists)
        {
            await storage.ClearStateAsync(name, grain, stored);
        }
    }
}
