using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Options;
using Xunit;

namespace OrleansUws.Cluster.Tests;

public sealed class SketchWorkersTests
{
    private static SketchWorkers Workers(int threads) =>
        new(Microsoft.Extensions.Options.Options.Create(new UwsClusterOptions { MaxConcurrentSketchUpdates = threads }));

    [Fact]
    public void Zero_means_one_thread_per_processor()
    {
        using var workers = Workers(0);
        Assert.Equal(Environment.ProcessorCount, workers.Threads);
    }

    [Fact]
    public async Task Work_runs_on_the_dedicated_threads_never_the_thread_pool_and_failures_reach_the_caller()
    {
        using var workers = Workers(2);
        var (name, pooled) = await TestWait.WithTimeout(
            workers.RunAsync(() => (Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread)), "the work runs");
        Assert.StartsWith("uws-sketch-", name, StringComparison.Ordinal);
        Assert.False(pooled);

        var failed = workers.RunAsync(() => throw new InvalidDataException("bad layer"));
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => failed);
        Assert.Equal("bad layer", error.Message);
    }

    [Fact]
    public async Task Work_beyond_the_threads_waits_for_a_free_one()
    {
        using var workers = Workers(2);
        using var release = new ManualResetEventSlim();
        int running = 0;
        Task Blocking() => workers.RunAsync(() =>
        {
            Interlocked.Increment(ref running);
            release.Wait(TestContext.Current.CancellationToken);
        });

        var first = Blocking();
        var second = Blocking();
        await TestWait.UntilAsync(() => Volatile.Read(ref running) == 2, "both threads are busy");
        var third = workers.RunAsync(() => Volatile.Read(ref running));
        Assert.False(third.IsCompleted);

        release.Set();
        await TestWait.WithTimeout(Task.WhenAll(first, second).ContinueWith(_ => true, TaskScheduler.Default), "the blocked work finishes");
        await Task.WhenAll(first, second);
        Assert.Equal(2, await TestWait.WithTimeout(third, "the queued work runs once a thread is free"));
    }

    [Fact]
    public async Task Work_marked_ahead_runs_before_queued_work_and_stopping_finishes_both()
    {
        var workers = Workers(1);
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var blocker = workers.RunAsync(() =>
        {
            started.Set();
            release.Wait(TestContext.Current.CancellationToken);
        });
        await TestWait.UntilAsync(() => started.IsSet, "the only thread is busy");
        var queued = Enumerable.Range(0, 3).Select(i => workers.RunAsync(() => order.Enqueue($"absorb {i}"))).ToArray();
        var ahead = workers.RunAsync(() => order.Enqueue("solve"), ahead: true);

        release.Set();
        await TestWait.WithTimeout(Task.WhenAll([blocker, .. queued, ahead]).ContinueWith(_ => true, TaskScheduler.Default), "the queued work runs");
        Assert.Equal(["solve", "absorb 0", "absorb 1", "absorb 2"], order.ToArray());

        // Dispose lets work already queued in either lane finish before the threads stop.
        using var hold = new ManualResetEventSlim();
        var busy = workers.RunAsync(() => hold.Wait(TestContext.Current.CancellationToken));
        var late = workers.RunAsync(() => 1);
        var lateAhead = workers.RunAsync(() => 2, ahead: true);
        var stopping = Task.Run(workers.Dispose, TestContext.Current.CancellationToken);
        hold.Set();
        await TestWait.WithTimeout(stopping.ContinueWith(_ => true, TaskScheduler.Default), "the workers stop");
        Assert.Equal(1, await late);
        Assert.Equal(2, await lateAhead);
        await busy;
    }

    [Fact]
    public async Task Stopped_workers_refuse_new_work()
    {
        var workers = Workers(1);
        workers.Dispose();
        workers.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => workers.RunAsync(() => 1));
    }
}
