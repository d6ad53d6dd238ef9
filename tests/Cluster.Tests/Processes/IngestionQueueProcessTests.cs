using System.Globalization;
using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.Numerics.Metrics;
using Xunit;

namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>
/// The durable ingestion queue on three real silo processes and a real redis-server: <c>uws ingest --redis</c> enqueues
/// every model on a Redis Stream and works it; a worker stopped mid-run leaves its entries unacknowledged, and the
/// next worker takes them over (XAUTOCLAIM) while a silo is killed with SIGKILL. The slices checkpoint only when the
/// worker flushes them (no count or time trigger within the run), so every model the killed silo's slices held since
/// their last flush is lost with it: the worker acknowledges only flushed models, and the same pass re-absorbs the lost
/// ones. End: every model absorbed once, every layer counts exactly the fleet, and the exact-Gram bases equal an
/// in-process run of the same models.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class IngestionQueueProcessTests(ClusterFixture fixture)
{
    private const int Models = 300;

    private static readonly FleetConfiguration Configuration = new(
        Modes: [SketchMode.Rows],
        SliceCount: 3,
        Sketch: new SketchSettings(SketchRows: 8, ExactGramMaxDimension: 1024),
        Basis: new BasisPolicy(Rank: 3, EnergyThreshold: 0.9, MaxRank: 3, EveryModels: 0, Interval: TimeSpan.Zero, Oversampling: 10, MaxIterations: 100, Seed: 7));

    [Fact]
    public async Task A_dead_worker_and_a_killed_silo_lose_no_model_and_absorb_none_twice()
    {
        var fleet = GeneratedFleet.Generate(fixture.Root, "queue", FleetPresets.Create("tiny", Models, layerCount: 1) with { Seed = 71 });
        await using var cluster = await SiloProcessCluster.StartAsync("uws-queue", 3, new Dictionary<string, string>
        {
            ["Uws:Cluster:SliceCheckpointEveryModels"] = "100000",
            ["Uws:Cluster:SliceCheckpointIntervalSeconds"] = "0",
        });
        await cluster.AssertAsync(async () =>
        {
            await cluster.Client.GetGrain<IFleetGrain>("queue").ConfigureAsync(Configuration with { Layers = Layers(fleet) });
            string[] Ingest() =>
            [
                "ingest", fleet.Folder, "--redis", cluster.Redis, "--cluster-id", cluster.ClusterId, "--service-id", cluster.ClusterId,
                "--fleet-id", "queue", "--call-timeout", "15", "--reclaim-after", "2", "--parallelism", "4",
            ];

            // Worker 1 stops (as if it died) once some models are absorbed: what it read stays unacknowledged.
            using (var stop = new CancellationTokenSource())
            {
                var output = new StringWriter();
                var first = UwsCli.InvokeAsync(Ingest(), CliContext.ForWriters(output, new StringWriter()), stop.Token);
                await TestWait.UntilAsync(
                    async () => (await cluster.Client.GetGrain<IFleetGrain>("queue").GetDescriptionAsync()).Counts.Absorbed >= 40,
                    "40 models absorbed by the first worker", TimeSpan.FromMinutes(2));
                await stop.CancelAsync();
                await first;
            }

            // `uws ingest --redis` recorded every model queued before appending it: what worker 1 did not absorb answers
            // "waiting in the ingestion queue", not "unknown".
            var waiting = await cluster.Client.GetGrain<IFleetGrain>("queue").GetDescriptionAsync();
            Assert.Equal(Models, waiting.Counts.Queued + waiting.Counts.Absorbed);
            var notYet = (await cluster.Client.GetGrain<IFleetGrain>("queue").GetModelsAsync(ModelStatus.Queued, limit: 1)).Single();
            Assert.Equal(ModelRecord.WaitingInQueue, notYet.Reason);

            // Acknowledged entries leave the stream: it holds every model not yet absorbed, and worker 1's unacknowledged ones.
            using var redis = await RedisIngestionQueue.ConnectAsync(cluster.Redis, TimeSpan.FromSeconds(5));
            var retries = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var worker = new RedisIngestionQueue(redis, cluster.ClusterId, "queue", "worker-2") { ReclaimAfter = TimeSpan.FromSeconds(2), OnRetry = retries.Enqueue };
            var backlog = await worker.ReadFiguresAsync();
            Assert.True(backlog.Length >= waiting.Counts.Queued && backlog.Length < Models, $"{backlog} with {waiting.Counts} in the registry");

            // The victim hosts a slice (so what that slice has not checkpointed dies with it); the client moves off it.
            var victim = await cluster.HostOfAsync(
                cluster.Client.GetGrain<ILayerSliceGrain>(UwsKeys.Slice("queue", fleet.Spec.Layers[0].LayerId, SketchMode.Rows, 0)));
            await cluster.UseGatewayAsync(victim == 0 ? 1 : 0);

            // Worker 2 only works the queue (no second enqueue that would re-submit every model after the kill): it takes
            // over worker 1's entries, and the victim dies under it.
            var second = worker.DrainAsync(cluster.Client.GetGrain<IFleetGrain>("queue"), inFlight: 4, cancellationToken: TestContext.Current.CancellationToken);
            await TestWait.UntilAsync(
                async () => (await cluster.Client.GetGrain<IFleetGrain>("queue").GetDescriptionAsync()).Counts.Absorbed >= 120,
                "120 models absorbed", TimeSpan.FromMinutes(2));
            await cluster.KillAsync(victim);
            var run = await second;
            TestContext.Current.TestOutputHelper?.WriteLine($"worker 2 retried: {string.Join(System.Environment.NewLine, retries)}");
            Assert.True(run.Rejected.Count == 0, string.Join(System.Environment.NewLine, run.Rejected.Select(r => $"{r.ModelId}: {r.Status} {r.Reason}").Concat(retries)));

            // Nothing lost, nothing doubled: the one pass left every model absorbed, each exactly once in every layer, and
            // the stream empty.
            var registry = cluster.Client.GetGrain<IFleetGrain>("queue");
            Assert.Equal(new ModelCounts(0, Models, 0), (await registry.GetDescriptionAsync()).Counts);
            Assert.Equal(new OrleansUws.Grains.Telemetry.IngestionQueueFigures(0, 0), await worker.ReadFiguresAsync());
            var control = fixture.Client.GetGrain<IFleetGrain>("queue-control");
            await control.ConfigureAsync(Configuration);
            await Task.WhenAll(fleet.Models(0, Models).Select(control.SubmitAsync));
            foreach (var layer in fleet.Spec.Layers)
            {
                var coordinator = cluster.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator("queue", layer.LayerId, SketchMode.Rows));
                var slices = await coordinator.GetSlicesAsync();
                Assert.Equal(Models, slices.Sum(s => s.ModelCount));
                Assert.Equal(Models * layer.OutFeatures, slices.Sum(s => s.RowCount));
                await coordinator.ComputeNowAsync();
                var expectedCoordinator = fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator("queue-control", layer.LayerId, SketchMode.Rows));
                await expectedCoordinator.ComputeNowAsync();
                var basis = (await coordinator.GetBasisAsync())!;
                var expected = (await expectedCoordinator.GetBasisAsync())!;
                var sinTheta = SubspaceMetrics.SinThetaMax(basis.Vectors, 3, expected.Vectors, 3, basis.Dimension);
                Assert.True(sinTheta <= 1e-5, string.Create(CultureInfo.InvariantCulture, $"{layer.LayerId}: sin θ = {sinTheta:E2}"));
            }
        });
    }

    private static Dictionary<string, LayerShape> Layers(GeneratedFleet fleet) =>
        fleet.Spec.Layers.ToDictionary(l => l.LayerId, l => new LayerShape(l.OutFeatures, l.InFeatures));
}
