using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using OrleansUws.Cluster.Tests.Processes;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Telemetry;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.Silo.Hosting;
using Xunit;

namespace OrleansUws.Cluster.Tests.Telemetry;

/// <summary>
/// One model's trace crosses processes: the gateway's span (this process, exported in memory) is the root; two real
/// silo processes, configured only by the standard OTEL_* variables, export their spans by OTLP/HTTP to a receiver
/// here. The registry's span and every layer's slice read-and-absorb and checkpoint spans carry the gateway's trace id,
/// each from the process that hosts that slice.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class CrossProcessTraceTests(ClusterFixture fixture)
{
    private const string FleetName = "traced";

    [Fact]
    public async Task One_model_is_one_trace_across_the_gateway_and_the_silo_processes()
    {
        var fleet = GeneratedFleet.Generate(fixture.Root, FleetName, FleetPresets.Create("tiny", 1) with { Seed = 71 });
        using var receiver = new OtlpTraceReceiver();
        // Every test of this process ends activities on its own threads while this one reads them: a concurrent collection.
        var collector = new SpanCollector();
        var gatewaySpans = collector.Spans;
        using var tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(UwsTelemetryNames.ActivitySourceName, UwsTelemetryNames.OrleansRuntimeSourceName)
            .AddProcessor<OrleansSystemSpanFilter>()
            .AddProcessor(collector)
            .Build();
        await using var cluster = await SiloProcessCluster.StartAsync("uws-traced", 2, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "60000",
            ["Uws:Cluster:SliceCheckpointEveryModels"] = "1", // the checkpoint inside the model's trace (the default batches them)
        });
        await cluster.AssertAsync(async () =>
        {
            var registry = cluster.Client.GetGrain<IFleetGrain>(UwsKeys.Fleet(FleetName));
            await registry.ConfigureAsync(new FleetConfiguration(Modes: [SketchMode.Rows], SliceCount: 4));
            // An id of this test's own: tests running beside it in this process submit generated models with the same ids,
            // and the in-memory exporter sees every span of the process.
            var model = fleet.Models(0, 1).Single() with { ModelId = $"traced-{Guid.NewGuid():N}" };
            var result = await ClusterRetry.SubmitAsync(registry, model, TestContext.Current.CancellationToken);
            Assert.Equal(ModelStatus.Absorbed, result.Status);
            tracing.ForceFlush();

            var root = Assert.Single(gatewaySpans, s => s.OperationName == UwsTelemetryNames.IngestSpan && (string?)s.GetTagItem(UwsTelemetryNames.ModelTag) == model.ModelId);
            Assert.Equal(default, root.ParentSpanId);
            var traceId = root.TraceId.ToHexString();

            // Where this model's slice of each layer lives: the process that must have exported its absorb span.
            var layers = fleet.Spec.Layers.Select(l => l.LayerId).ToArray();
            var hosts = new HashSet<long>();
            foreach (var layer in layers)
            {
                var slices = await cluster.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(FleetName, layer, SketchMode.Rows)).GetSlicesAsync();
                var slice = Assert.Single(slices, s => s.ModelCount == 1);
                hosts.Add(cluster.Silos[cluster.IndexOf(slice.Silo)].Process.Id);
            }

            IReadOnlyList<ReceivedSpan> Traced() => receiver.Spans.Where(s => s.TraceId == traceId).ToArray();
            var gatewayIds = gatewaySpans.Where(s => s.TraceId == root.TraceId).Select(s => s.SpanId.ToHexString()).ToHashSet();
            bool Connected(IReadOnlyList<ReceivedSpan> spans) =>
                spans.All(s => gatewayIds.Contains(s.ParentSpanId) || spans.Any(p => p.SpanId == s.ParentSpanId));
            try
            {
                await TestWait.UntilAsync(
                    () => Traced().Count(s => s.Name == UwsTelemetryNames.SliceCheckpointSpan) == layers.Length
                        && Traced().Count(s => s.Name == UwsTelemetryNames.SliceAbsorbSpan) == layers.Length
                        && Traced().Any(s => s.Name == UwsTelemetryNames.SubmitSpan)
                        && Connected(Traced()),
                    "the silos exported the registry's span, every slice's absorb and checkpoint spans of the model's trace, and every span's parent");
            }
            catch (TimeoutException ex)
            {
                var received = receiver.Spans.Where(s => !s.Name.StartsWith("IGrainTimer", StringComparison.Ordinal)).GroupBy(s => s.TraceId).Select(g => $"{g.Key}: {string.Join(", ", g.Select(s => $"{s.Name}@{s.ProcessId}"))}");
                throw new TimeoutException($"{ex.Message} Trace {traceId}; received {receiver.Spans.Count} spans; gateway: {string.Join(", ", gatewaySpans.Select(g => $"{g.OperationName}/{g.Source.Name}/{g.TraceId}/{g.Recorded}"))}{Environment.NewLine}{string.Join(Environment.NewLine, received)}", ex);
            }

            var silos = Traced();
            var absorbedBy = silos.Where(s => s.Name == UwsTelemetryNames.SliceAbsorbSpan).Select(s => s.ProcessId!.Value).ToHashSet();
            Assert.Equal(hosts.Order(), absorbedBy.Order());
            Assert.All(silos, s => Assert.Contains(s.ProcessId!.Value, cluster.Silos.Select(p => (long)p.Process.Id)));
            var processes = silos.Select(s => s.ProcessId!.Value).Append(Environment.ProcessId).ToHashSet();
            Assert.True(processes.Count >= 2, $"the trace has spans from {processes.Count} process(es)");

            // Orleans' system-target calls (timers, membership) are filtered out: only our spans and our grain calls travel.
            Assert.All(receiver.Spans, s => Assert.True(s.Name.StartsWith("uws.", StringComparison.Ordinal) || OrleansSystemSpanFilter.IsOwnCall(s.Name), s.Name));

            // Each silo also serves its metrics for Prometheus, its slices counted.
            using var http = new HttpClient();
            var scraped = await Task.WhenAll(cluster.Silos.Select(s => http.GetStringAsync(new Uri($"http://127.0.0.1:{s.HttpPort}/metrics"), TestContext.Current.CancellationToken)));
            Assert.Equal(layers.Length * 4, scraped.Sum(text => SlicesActive().Matches(text).Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))));

            // The registry's span hangs off the gateway's call; every slice span off a registry's call, in the same trace.
            var submit = Assert.Single(silos, s => s.Name == UwsTelemetryNames.SubmitSpan);
            Assert.Contains(silos.Single(s => s.SpanId == submit.ParentSpanId).ParentSpanId, gatewayIds);
            Assert.All(silos.Where(s => s.Name == UwsTelemetryNames.SliceAbsorbSpan), s => Assert.EndsWith("/AbsorbAsync", silos.Single(p => p.SpanId == s.ParentSpanId).Name, StringComparison.Ordinal));
        });
    }

    /// <summary>Keeps every recorded span that ends in this process (what the in-memory exporter keeps, safe to read meanwhile).</summary>
    private sealed class SpanCollector : BaseProcessor<Activity>
    {
        public System.Collections.Concurrent.ConcurrentQueue<Activity> Spans { get; } = new();

        public override void OnEnd(Activity data)
        {
            if (data.Recorded)
            {
                Spans.Enqueue(data);
            }
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^uws_silo_slices_active\{[^}]*\} (\d+)", System.Text.RegularExpressions.RegexOptions.Multiline)]
    private static partial System.Text.RegularExpressions.Regex SlicesActive();
}
