using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Ingestion;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>The watcher hands each settled model over exactly once, from events or rescans.</summary>
public sealed class ModelFolderWatcherTests
{
    [Fact]
    public async Task A_model_is_handed_over_once_and_only_after_its_files_settled()
    {
        using var folder = new TempFolder();
        var watched = folder.Combine("watched");
        Directory.CreateDirectory(watched);
        var generated = await CliHarness.InvokeAsync("fleet", "generate", "--out", watched, "--preset", "tiny", "--models", "2", "--layers", "1");
        Assert.Equal(ExitCodes.Success, generated.ExitCode);
        var written = new[] { "model-00000", "model-00001" }
            .SelectMany(m => Directory.EnumerateFiles(Path.Combine(watched, m)))
            .Max(File.GetLastWriteTimeUtc);
        var clock = new ManualTimeProvider(new DateTimeOffset(written, TimeSpan.Zero) + TimeSpan.FromSeconds(1));
        using var watcher = new ModelFolderWatcher([watched], TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(5), clock);

        Assert.Empty(watcher.TakeSettledNewModels()); // written 1 s ago, settle time 5 s

        clock.Now += TimeSpan.FromSeconds(5);
        var settled = watcher.TakeSettledNewModels();
        Assert.Equal(["model-00000", "model-00001"], settled.Select(m => m.ModelId));
        Assert.Equal(Path.Combine(watched, "model-00000"), settled[0].Location);

        Assert.Empty(watcher.TakeSettledNewModels()); // already handed over
    }

    [Fact]
    public async Task Models_moved_into_a_watched_folder_are_picked_up_by_file_events()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var folder = new TempFolder();
        var staging = folder.Combine("staging");
        var watched = folder.Combine("watched");
        Directory.CreateDirectory(watched);
        var generated = await CliHarness.InvokeAsync("fleet", "generate", "--out", staging, "--preset", "tiny", "--models", "2", "--layers", "1");
        Assert.Equal(ExitCodes.Success, generated.ExitCode);

        var received = new List<string>();
        var both = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using var watcher = new ModelFolderWatcher([watched], TimeSpan.FromHours(1), TimeSpan.Zero);
        var running = watcher.RunAsync(
            (models, _) =>
            {
                lock (received)
                {
                    received.AddRange(models.Select(m => m.ModelId));
                    if (received.Count >= 2)
                    {
                        both.TrySetResult();
                    }
                }

                return Task.CompletedTask;
            },
            stop.Token);

        Directory.Move(Path.Combine(staging, "model-00001"), Path.Combine(watched, "model-00001"));
        Directory.Move(Path.Combine(staging, "model-00000"), Path.Combine(watched, "model-00000"));
        await both.Task.WaitAsync(TimeSpan.FromSeconds(30), cancel);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        Assert.Equal(["model-00000", "model-00001"], received.Order(StringComparer.Ordinal));
    }

    private sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
