using System.Runtime.InteropServices;

namespace OrleansUws.Numerics.Cuda.Interop;

/// <summary>One loaded native library: its handle and the file it was loaded from, for export look-ups that name both.</summary>
internal sealed class NativeLibraryHandle
{
    private NativeLibraryHandle(nint handle, string fileName)
    {
        Handle = handle;
        FileName = fileName;
    }

    /// <summary>The handle returned by <see cref="NativeLibrary.TryLoad(string, out nint)"/>.</summary>
    public nint Handle { get; }

    /// <summary>The name or path that loaded.</summary>
    public string FileName { get; }

    /// <summary>
    /// Loads the first of <paramref name="candidates"/> that loads, first by plain name, then from each of
    /// <paramref name="directories"/>. On failure <paramref name="reason"/> names the library and every file tried.
    /// </summary>
    public static bool TryLoad(string library, IReadOnlyList<string> candidates, IReadOnlyList<string> directories,
        out NativeLibraryHandle? loaded, out string reason)
    {
        var tried = new List<string>();
        foreach (var name in candidates)
        {
            tried.Add(name);
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                loaded = new NativeLibraryHandle(handle, name);
                reason = string.Empty;
                return true;
            }
        }

        foreach (var directory in directories)
        {
            foreach (var name in candidates)
            {
                var path = Path.Combine(directory, name);
                if (!File.Exists(path))
                {
                    continue;
                }

                tried.Add(path);
                if (NativeLibrary.TryLoad(path, out var handle))
                {
                    loaded = new NativeLibraryHandle(handle, path);
                    reason = string.Empty;
                    return true;
                }
            }
        }

        loaded = null;
        var where = directories.Count == 0 ? string.Empty : $" (also searched {string.Join(", ", directories)})";
        reason = $"{library} could not be loaded: tried {string.Join(", ", tried)}{where}.";
        return false;
    }

    /// <summary>The address of <paramref name="symbol"/>; throws <see cref="EntryPointNotFoundException"/> naming the file and symbol.</summary>
    public nint GetExport(string symbol) =>
        NativeLibrary.TryGetExport(Handle, symbol, out var address)
            ? address
            : throw new EntryPointNotFoundException($"{FileName} does not export {symbol}.");
}
