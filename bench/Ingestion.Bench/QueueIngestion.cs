using System.Diagnostics;
using System.Globalization;
using OrleansUws.Coordinator.Fleets;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using Spectre.Console;

namespace OrleansUws.Ingestion.Bench;

/// <summary>
/// The durable queue end to end on Redis grain storage: generates a fleet, enqueues it on the Redis Stream of an embedded
/// silo whose grain storage is the given Redis, drains it with one worker (acknowledging only checkpointed models), and
/// prints models/s. <c>--checkpoint-every 1</c> checkpoints every slice after every model (nothing left to flush);
/// the default lets the silo batch (every 32 models or 2 s, and the worker's flush once per batch). <c>--windows W</c>
/// enqueues and drains the fleet in W equal parts and prints each part's models/s and the bytes Redis received per model
/// (<c>INFO stats</c>, <c>total_net_input_bytes</c>: grain-state writes and the queue's own calls), so a per-model write
/// that grows with the models already held shows as a rising figure.
/// </summary>
public static class QueueIngestion
{
    /// <summary>Runs the benchmark with <c>--name value</c> options; returns the process exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var options = new BenchOptions(args, "--redis", "--preset", "--models", "--layers", "--parallelism", "--checkpoint-every", "--windows");
        string? redisEndpoint = options.Text("--redis");
        string preset = options.Text("--preset", "mistral-7b-lora")!;
        int models = options.Integer("--models", 100), layers = options.Integer("--layers", 1);
        int parallelism = options.Integer("--parallelism", 8), checkpointEvery = options.Integer("--checkpoint-every", 0);
        int windows = options.Integer("--windows", 1);
        if (redisEndpoint is null)
        {
            throw new ArgumentException("queue needs --redis HOST:PORT (a redis-server this benchmark may write to)");
        }

        // The embedded silo reads its storage and checkpoint settings from the environment, as a deployed silo does.
        Environment.SetEnvironmentVariable("Uws__Silo__RedisConnectionString", redisEndpoint);
        if (checkpointEvery > 0)
        {
            Environment.SetEnvironmentVariable("Uws__Cluster__SliceCheckpointEveryModels", checkpointEvery.ToString(CultureInfo.InvariantCulture));
        }

        var folder = Path.Combine(Path.GetTempPath(), "uws-queue-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var spec = FleetGeneration.CreateSpec(new FleetGenerateOptions { Output = folder, Preset = preset, Models = models, Layers = layers, Seed = 1 });
            await FleetGeneration.GenerateAsync(spec, folder, AnsiConsole.Console, CancellationToken.None).ConfigureAwait(false);
            var sources = ModelDiscovery.Discover([folder]);
            var id = "bench-" + Guid.NewGuid().ToString("N")[..8];
            await using var session = await UwsSession.StartAsync(new ClusterConnectionOptions { ClusterId = id, ServiceId = id }).ConfigureAwait(false);
            var defaults = await session.Fleet.GetDescriptionAsync().ConfigureAwait(false);
            await session.Fleet.ConfigureAsync(new FleetConfiguration(Modes: defaults.Modes, Basis: defaults.Basis with { EveryModels = 0, Interval = TimeSpan.Zero })).ConfigureAwait(false);
            await ArchitectureAgreement.DeclareAsync(session.Fleet, sources).ConfigureAwait(false);

            using var redis = await RedisIngestionQueue.ConnectAsync(redisEndpoint, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            var queue = new RedisIngestionQueue(redis, id, session.Connection.FleetId, "bench");
            await queue.EnsureGroupAsync().ConfigureAwait(false);
            var c = CultureInfo.InvariantCulture;
            var cadence = checkpointEvery > 0 ? $"every {checkpointEvery} model(s)" : "silo default (batched) + flush per batch";
            output.WriteLine(string.Create(c, $"{sources.Count} {preset} models ({layers} layer(s), modes {string.Join("+", defaults.Modes)}, {defaults.SliceCount} slices), {parallelism} in flight, slice checkpoints {cadence}, Redis storage, {Environment.ProcessorCount} cores"));
            using var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redisEndpoint + ",allowAdmin=true").ConfigureAwait(false);
            var server = admin.GetServer(admin.GetEndPoints()[0]);
            var total = TimeSpan.Zero;
            var size = (sources.Count + windows - 1) / windows;
            foreach (var (part, index) in sources.Chunk(size).Select((p, i) => (p, i)))
            {
                var received = await ReceivedBytesAsync(server).ConfigureAwait(false);
                await queue.EnqueueAsync(part).ConfigureAwait(false);
                var stopwatch = Stopwatch.StartNew();
                var summary = await queue.DrainAsync(session.Fleet, parallelism).ConfigureAwait(false);
                stopwatch.Stop();
                if (summary.Rejected.Count > 0 || summary.Absorbed != part.Length)
                {
                    throw new InvalidOperationException($"{summary.Absorbed} of {part.Length} absorbed; first problem: {summary.Rejected.FirstOrDefault()?.Reason}");
                }

                // Slices not yet checkpointed by count or timer: flushed by the worker, so the bytes are this part's.
                var bytes = await ReceivedBytesAsync(server).ConfigureAwait(false) - received;
                total += stopwatch.Elapsed;
                output.WriteLine(string.Create(c, $"models {index * size + 1}–{index * size + part.Length}: {part.Length / stopwatch.Elapsed.TotalSeconds:F1} models/s, Redis received {bytes / (double)part.Length / 1024:F1} KiB per model"));
            }

            output.WriteLine(string.Create(c, $"drained in {total.TotalSeconds:F1} s: {sources.Count / total.TotalSeconds:F1} models/s, every entry acknowledged after its slices' checkpoint"));
            return 0;
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>Bytes Redis has received from all clients since it started (<c>INFO stats</c>).</summary>
    private static async Task<long> ReceivedBytesAsync(StackExchange.Redis.IServer server)
    {
        var stats = await server.InfoAsync("stats").ConfigureAwait(false);
        return long.Parse(stats.SelectMany(g => g).First(p => p.Key == "total_net_input_bytes").Value, CultureInfo.InvariantCulture);
    }
}
