using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OrleansUws.Grains.Options;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// The silo's dedicated threads for blocking numeric work (reading a layer into a sketch, a shrink, a basis solve):
/// BLAS calls run here, never on the .NET thread pool that Orleans schedules grains on, so a long GEMM cannot starve
/// message processing or make the silo report a stalled thread pool. As many threads as
/// <see cref="UwsClusterOptions.MaxConcurrentSketchUpdates"/> (0 = the processor count), which also bounds how many
/// sketch updates run at once; work is taken in arrival order, except that work marked as ahead (a basis version's
/// solve, whose cut holds the slices' rows until it is solved) is taken before any queued absorption. A grain awaits
/// <see cref="RunAsync{T}"/> and resumes on its own scheduler (the work must not touch grain context such as
/// <c>this.GetPrimaryKeyString()</c>).
/// </summary>
public sealed class SketchWorkers : IDisposable
{
    private readonly BlockingCollection<Action> _ahead = new(new ConcurrentQueue<Action>());
    private readonly BlockingCollection<Action> _queue = new(new ConcurrentQueue<Action>());
    private readonly Thread[] _threads;
    private int _stopped;

    /// <summary>Starts the threads (one singleton per silo).</summary>
    public SketchWorkers(IOptions<UwsClusterOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configured = options.Value.MaxConcurrentSketchUpdates;
        Threads = configured > 0 ? configured : Environment.ProcessorCount;
        _threads = new Thread[Threads];
        for (int i = 0; i < Threads; i++)
        {
            _threads[i] = new Thread(Drain) { IsBackground = true, Name = $"uws-sketch-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Number of worker threads.</summary>
    public int Threads { get; }

    /// <summary>
    /// Runs <paramref name="work"/> on a worker thread (with <paramref name="ahead"/>, before any work queued without);
    /// its result or exception completes the task.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The workers were disposed (the silo is stopping).</exception>
    public Task<T> RunAsync<T>(Func<T> work, bool ahead = false)
    {
        ArgumentNullException.ThrowIfNull(work);
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(ahead ? _ahead : _queue, () =>
        {
            try
            {
                completion.SetResult(work());
            }
            catch (Exception ex)
            {
                completion.SetException(ex);
            }
        });
        return completion.Task;
    }

    /// <summary>Runs <paramref name="work"/> on a worker thread (ahead of queued work when asked); its exception, if any, faults the task.</summary>
    public Task RunAsync(Action work, bool ahead = false)
    {
        ArgumentNullException.ThrowIfNull(work);
        return RunAsync(
            () =>
            {
                work();
                return true;
            },
            ahead);
    }

    /// <summary>Lets the queued work finish and stops the threads.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        _ahead.CompleteAdding();
        _queue.CompleteAdding();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _ahead.Dispose();
        _queue.Dispose();
    }

    private void Enqueue(BlockingCollection<Action> queue, Action item)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopped) == 1, this);
        try
        {
            queue.Add(item);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            throw new ObjectDisposedException(nameof(SketchWorkers), ex);
        }
    }

    private void Drain()
    {
        // TakeFromAny tries the collections in order, so queued work marked ahead always goes first.
        BlockingCollection<Action>[] queues = [_ahead, _queue];
        while (true)
        {
            Action item;
            try
            {
                BlockingCollection<Action>.TakeFromAny(queues, out item!);
            }
            catch (ArgumentException)
            {
                return; // both completed and empty: the workers are stopping
            }

            item();
        }
    }
}
