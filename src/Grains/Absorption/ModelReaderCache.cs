using Microsoft.Extensions.Options;
using OrleansUws.Grains.Options;
using OrleansUws.ModelFormats;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// The model files open on this silo, shared by its grains: every slice of a model reads the same file, and opening
/// it (memory map + header parse) once per layer would cost as much as the reading. Least-recently-used files beyond
/// <see cref="UwsClusterOptions.OpenModelFiles"/> are closed once no lease holds them. An entry is reopened when the
/// file (or, for an adapter folder, any file in it) changed size or modification time, so a fixed file is re-read.
/// Thread-safe; readers themselves are thread-safe for concurrent reads.
/// </summary>
public sealed class ModelReaderCache : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();
    private readonly int _capacity;
    private bool _disposed;

    /// <summary>Creates the cache with the capacity from the cluster options.</summary>
    public ModelReaderCache(IOptions<UwsClusterOptions> options)
    {
        _capacity = options.Value.OpenModelFiles;
    }

    /// <summary>Files currently open (for diagnostics and tests).</summary>
    public int OpenCount
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// A lease on the reader of <paramref name="path"/>, opening it when it is not open or has changed. Dispose the
    /// lease exactly once when done reading.
    /// </summary>
    /// <exception cref="ModelFormatException">The file is corrupt (from <see cref="ModelReader.Open"/>).</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public Lease Acquire(string path)
    {
        var stamp = Stamp(path);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_entries.TryGetValue(path, out var entry) && entry.Stamp == stamp)
            {
                _recency.Remove(entry.Node);
                _recency.AddFirst(entry.Node);
                entry.Leases++;
                return new Lease(this, entry);
            }

            if (entry is not null)
            {
                Retire(entry);
            }

            // Opening under the lock makes concurrent slices of one new model wait for a single open.
            entry = new Entry(path, stamp, ModelReader.Open(path));
            entry.Node = _recency.AddFirst(entry);
            _entries[path] = entry;
            entry.Leases++;
            Trim();
            return new Lease(this, entry);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var entry in _entries.Values.ToArray())
            {
                Retire(entry);
            }
        }
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            entry.Leases--;
            if (entry.Leases == 0 && entry.Retired)
            {
                entry.Reader.Dispose();
            }

            Trim();
        }
    }

    /// <summary>Removes an entry from the cache; its reader is closed now, or by its last lease.</summary>
    private void Retire(Entry entry)
    {
        _entries.Remove(entry.Path);
        _recency.Remove(entry.Node);
        entry.Retired = true;
        if (entry.Leases == 0)
        {
            entry.Reader.Dispose();
        }
    }

    private void Trim()
    {
        var node = _recency.Last;
        while (_entries.Count > _capacity && node is not null)
        {
            var previous = node.Previous;
            if (node.Value.Leases == 0)
            {
                Retire(node.Value);
            }

            node = previous;
        }
    }

    /// <summary>Size and modification time of a file, or of every file directly in a folder.</summary>
    private static (long Length, DateTime Written) Stamp(string path)
    {
        if (Directory.Exists(path))
        {
            long length = 0;
            var written = DateTime.MinValue;
            foreach (var file in new DirectoryInfo(path).EnumerateFiles())
            {
                length += file.Length;
                written = file.LastWriteTimeUtc > written ? file.LastWriteTimeUtc : written;
            }

            return (length, written);
        }

        var info = new FileInfo(path);
        return info.Exists ? (info.Length, info.LastWriteTimeUtc) : (-1, DateTime.MinValue);
    }

    /// <summary>A reader held open for one caller; disposing it returns it to the cache (once).</summary>
    public sealed class Lease : IDisposable
    {
        private ModelReaderCache? _owner;
        private readonly Entry _entry;

        internal Lease(ModelReaderCache owner, Entry entry)
        {
            _owner = owner;
            _entry = entry;
        }

        /// <summary>The shared reader; valid until this lease is disposed.</summary>
        public IModelReader Reader => _entry.Reader;

        /// <inheritdoc />
        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release(_entry);
    }

    internal sealed class Entry(string path, (long Length, DateTime Written) stamp, IModelReader reader)
    {
        public string Path { get; } = path;

        public (long Length, DateTime Written) Stamp { get; } = stamp;

        public IModelReader Reader { get; } = reader;

        public LinkedListNode<Entry> Node { get; set; } = null!;

        public int Leases { get; set; }

        public bool Retired { get; set; }
    }
}
