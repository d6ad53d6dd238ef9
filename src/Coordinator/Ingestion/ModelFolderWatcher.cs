using System.Threading.Channels;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>
/// Finds models that appear under watched paths: a <see cref="FileSystemWatcher"/> per folder triggers a rescan
/// shortly after any change, and a periodic rescan catches what events miss (network file systems, overflowed
/// event buffers). A model is handed over once, when none of its files changed for the settle time.
/// </summary>
public sealed class ModelFolderWatcher : IDisposable
{
    private readonly IReadOnlyList<string> _paths;
    private readonly TimeSpan _rescanInterval;
    private readonly TimeSpan _settleTime;
    private readonly TimeProvider _time;
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>Watches <paramref name="paths"/> (folders are watched recursively; files are rescanned only).</summary>
    public ModelFolderWatcher(IReadOnlyList<string> paths, TimeSpan rescanInterval, TimeSpan settleTime, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(rescanInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(settleTime, TimeSpan.Zero);
        _paths = paths;
        _rescanInterval = rescanInterval;
        _settleTime = settleTime;
        _time = time ?? TimeProvider.System;
        foreach (var folder in paths.Where(Directory.Exists))
        {
            var watcher = new FileSystemWatcher(folder)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            watcher.Created += OnChanged;
            watcher.Changed += OnChanged;
            watcher.Renamed += OnChanged;
            watcher.Error += (_, _) => _changes.Writer.TryWrite(true);
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    /// <summary>
    /// Scans now, then after every change and every rescan interval, calling <paramref name="onNewModels"/> with
    /// the models not handed over before; runs until <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <exception cref="OperationCanceledException">Always, when <paramref name="cancellationToken"/> is cancelled.</exception>
    public async Task RunAsync(Func<IReadOnlyList<ModelSource>, CancellationToken, Task> onNewModels, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onNewModels);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var fresh = TakeSettledNewModels();
            if (fresh.Count > 0)
            {
                await onNewModels(fresh, cancellationToken).ConfigureAwait(false);
            }

            await WaitForChangeOrRescanAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The models under the watched paths not handed over before and settled; marks them handed over.</summary>
    public IReadOnlyList<ModelSource> TakeSettledNewModels()
    {
        var now = _time.GetUtcNow();
        var fresh = ModelDiscovery.Discover(_paths)
            .Where(m => !_seen.Contains(m.ModelId) && now - LastWrite(m.Location) >= _settleTime)
            .ToArray();
        foreach (var model in fresh)
        {
            _seen.Add(model.ModelId);
        }

        return fresh;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _changes.Writer.TryComplete();
    }

    private static DateTimeOffset LastWrite(string location)
    {
        if (File.Exists(location))
        {
            return File.GetLastWriteTimeUtc(location);
        }

        var latest = Directory.GetLastWriteTimeUtc(location);
        foreach (var file in Directory.EnumerateFiles(location, "*", SearchOption.AllDirectories))
        {
            var written = File.GetLastWriteTimeUtc(file);
            if (written > latest)
            {
                latest = written;
            }
        }

        return new DateTimeOffset(latest, TimeSpan.Zero);
    }

    private void OnChanged(object sender, FileSystemEventArgs e) => _changes.Writer.TryWrite(true);

    private async Task WaitForChangeOrRescanAsync(CancellationToken cancellationToken)
    {
        using var interval = new CancellationTokenSource(_rescanInterval, _time);
        using var rescan = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, interval.Token);
        try
        {
            if (await _changes.Reader.WaitToReadAsync(rescan.Token).ConfigureAwait(false))
            {
                _changes.Reader.TryRead(out _);

                // Let a burst of writes (a model being copied in) finish before rescanning.
                await Task.Delay(_settleTime, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The rescan interval elapsed without a change.
        }
    }
}
