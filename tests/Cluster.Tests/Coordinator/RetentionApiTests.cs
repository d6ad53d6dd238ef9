using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Core.Internal;
using Orleans.Storage;
using OrleansUws.Grains.State;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Http;
using OrleansUws.Coordinator.Output;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Safetensors;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>
/// What the cluster keeps, through <c>uws serve</c>: past basis versions (the last <c>BasisVersionsKept</c>, downloadable
/// byte for byte as published) and a bounded number of rejection records per fleet (counts stay exact).
/// </summary>
public sealed class RetentionApiTests
{
    [Fact]
    public async Task A_past_basis_version_downloads_as_published_until_it_falls_out_of_retention()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await ApiServer.StartAsync(settings: [new("Uws:Cluster:BasisVersionsKept", "3")]);
        await ApiServer.GenerateFleetAsync(Path.Combine(server.ModelRoot, "fleet"), 4, seed: 9);
        using var reader = server.Client(ApiServer.ReadKey);
        using var ingest = server.Client(ApiServer.IngestKey);
        using var admin = server.Client(ApiServer.AdminKey);

        // Publish versions 1..4, one model each, and keep each version's download as it was current.
        var published = new List<byte[]>();
        var layer = string.Empty;
        for (var i = 0; i < 4; i++)
        {
            var id = $"model-{i:D5}";
            using (var registered = await ingest.PostAsJsonAsync("/v1/fleets/kept/models", new RegisterModelRequest(id, $"fleet/{id}"), cancel))
            {
                Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
            }

            layer = (await reader.GetFromJsonAsync<FleetDescription>("/v1/fleets/kept", ApiServer.Json, cancel))!.Layers[0].Layer;
            using var computed = await admin.PostAsync($"/v1/fleets/kept/layers/{layer}/rows/compute", null, cancel);
            Assert.Equal(i + 1, (await computed.Content.ReadFromJsonAsync<BasisVersionInfo>(ApiServer.Json, cancel))!.Version);
            published.Add(await reader.GetByteArrayAsync($"/v1/fleets/kept/layers/{layer}/rows/basis", cancel));
            if (i == 2)
            {
                // Version 3 is current: version 1 is served from the archive, equal to what version 1 was.
                Assert.Equal(published[0], await reader.GetByteArrayAsync($"/v1/fleets/kept/layers/{layer}/rows/basis?version=1", cancel));
            }
        }

        var basis = $"/v1/fleets/kept/layers/{layer}/rows/basis";
        Assert.Equal(published[1], await reader.GetByteArrayAsync($"{basis}?version=2", cancel));
        Assert.Equal(published[3], await reader.GetByteArrayAsync($"{basis}?version=4", cancel));
        Assert.NotEqual(published[1], published[2]);
        var archive = server.App.Services.GetRequiredService<IClusterClient>().GetGrain<IBasisArchiveGrain>(UwsKeys.Coordinator("kept", layer, SketchMode.Rows));
        Assert.Equal([2, 3, 4], await archive.GetVersionsAsync());

        // `uws basis export --version` against the running cluster writes the same file, and names what is retained.
        var gateway = $"127.0.0.1:{server.Options.GatewayPort}";
        var exported = server.Folder.Combine("exported-v2.safetensors");
        var export = await CliHarness.InvokeAsync("basis", "export", "--layer", layer, "--version", "2", "--gateway", gateway, "--fleet-id", "kept", "--out", exported);
        Assert.True(export.ExitCode == ExitCodes.Success, export.ToString());
        Assert.Equal(published[1], await File.ReadAllBytesAsync(exported, cancel));
        var gone = await CliHarness.InvokeAsync("basis", "export", "--layer", layer, "--version", "1", "--gateway", gateway, "--fleet-id", "kept", "--out", exported);
        Assert.Equal(ExitCodes.Usage, gone.ExitCode);
        Assert.Contains("--version: version 1 of layer", gone.Error, StringComparison.Ordinal);
        Assert.Contains("no longer retained: the cluster keeps versions 2 to 4", gone.Error, StringComparison.Ordinal);

        // The file of version 2 says what the history says of version 2; the history and the changed list agree.
        var file = server.Folder.Combine("v2.safetensors");
        await File.WriteAllBytesAsync(file, published[1], cancel);
        var history = (await reader.GetFromJsonAsync<BasisVersionInfo[]>($"/v1/fleets/kept/layers/{layer}/rows/history", ApiServer.Json, cancel))!;
        Assert.Equal([1, 2, 3, 4], history.Select(version => version.Version));
        Assert.Equal([1, 2, 3, 4], history.Select(version => version.ModelCount));
        using (var second = SafetensorsFile.Open(file))
        {
            Assert.Equal(("2", "2"), (second.Metadata["version"], second.Metadata["T"]));
            Assert.Equal(history[1].Rank, second.GetTensor(BasisFileWriter.BasisTensor).Rows);
        }

        var csv = (await reader.GetStringAsync($"/v1/fleets/kept/layers/{layer}/rows/history.csv", cancel)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, csv.Length);
        Assert.StartsWith($"{layer},rows,false,2,2,", csv[2], StringComparison.Ordinal);
        var changed = (await reader.GetFromJsonAsync<BasisVersionInfo[]>("/v1/fleets/kept/bases?since=3", ApiServer.Json, cancel))!;
        Assert.Equal([(layer, 4)], changed.Select(version => (version.Layer, version.Version)));
        Assert.Equal(history[3].ExplainedEnergy, changed[0].ExplainedEnergy);

        // Evicted, never published, and nonsense versions: 404 naming 'version', saying which versions are kept.
        using (var evicted = await reader.GetAsync($"{basis}?version=1", cancel))
        {
            Assert.Equal(HttpStatusCode.NotFound, evicted.StatusCode);
            Assert.StartsWith(
                $"version 1 of layer '{layer}' (rows) is no longer retained: the cluster keeps versions 2 to 4",
                await ApiServer.ErrorForAsync(evicted, "version"),
                StringComparison.Ordinal);
        }

        foreach (var never in new[] { 5, 0 })
        {
            using var unknown = await reader.GetAsync($"{basis}?version={never}", cancel);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            Assert.Contains($"version {never} of layer '{layer}' (rows) was never published (versions run from 1 to the current 4)", await ApiServer.ErrorForAsync(unknown, "version"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Rejection_records_beyond_the_bound_are_dropped_oldest_first_with_exact_counts()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await ApiServer.StartAsync(settings: [new("Uws:Cluster:RejectionRecordsKept", "2")]);
        await ApiServer.GenerateFleetAsync(Path.Combine(server.ModelRoot, "fleet"), 1, seed: 4);
        using var reader = server.Client(ApiServer.ReadKey);
        using var ingest = server.Client(ApiServer.IngestKey);
        using (var good = await ingest.PostAsJsonAsync("/v1/fleets/bounded/models", new RegisterModelRequest("good", "fleet/model-00000"), cancel))
        {
            Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        }

        for (var i = 0; i < 5; i++)
        {
            using var bad = await ingest.PutAsync($"/v1/fleets/bounded/models/bad-{i}", new ByteArrayContent("not a model"u8.ToArray()), cancel);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        }

        await AssertBoundedAsync(5, "bad-3", "bad-4");

        // A fresh activation of the registry replays its log and drops the same records.
        var registry = server.App.Services.GetRequiredService<IClusterClient>().GetGrain<IFleetGrain>(UwsKeys.Fleet("bounded"));
        await registry.AsReference<IGrainManagementExtension>().DeactivateOnIdle(cancel);
        await AssertBoundedAsync(5, "bad-3", "bad-4");

        // Hundreds more: the stored log outgrows twice what is kept and is compacted into a new generation; the old
        // segments are cleared, and a fresh activation replays the compacted log to the same records and counts.
        var junk = Path.Combine(server.ModelRoot, "junk.safetensors");
        await File.WriteAllBytesAsync(junk, "not a model either"u8.ToArray(), cancel);
        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(ModelStatus.Rejected, (await registry.SubmitAsync(new ModelReference($"junk-{i:D3}", junk))).Status);
        }

        await AssertBoundedAsync(305, "junk-298", "junk-299");
        var storage = server.App.Services.GetRequiredKeyedService<IGrainStorage>(OrleansUws.Grains.UwsStorage.Name);
        var head = new GrainState<FleetRecordsHead>(new FleetRecordsHead());
        await storage.ReadStateAsync("fleet-records-head", registry.GetGrainId(), head);
        Assert.True(head.RecordExists && head.State!.Generation >= 1, "the record log was never compacted");
        var first = new GrainState<FleetStateRecords>(new FleetStateRecords());
        await storage.ReadStateAsync("fleet-records-0", registry.GetGrainId(), first);
        Assert.False(first.RecordExists, "the first generation's segments are still stored");
        await registry.AsReference<IGrainManagementExtension>().DeactivateOnIdle(cancel);
        await AssertBoundedAsync(305, "junk-298", "junk-299");

        // `uws status` lists the kept rejections and says how many records were dropped.
        var status = await CliHarness.InvokeAsync("status", "--gateway", $"127.0.0.1:{server.Options.GatewayPort}", "--fleet-id", "bounded");
        Assert.True(status.ExitCode == ExitCodes.Success, status.ToString());
        Assert.Contains("junk-299", status.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("junk-297", status.Output, StringComparison.Ordinal);
        Assert.Contains("(+ 303 older rejected or quarantined models whose records were dropped: 303 rejected, 0 quarantined)", status.Output.ReplaceLineEndings(" "), StringComparison.Ordinal);

        async Task AssertBoundedAsync(int rejections, params string[] kept)
        {
            var counts = (await reader.GetFromJsonAsync<FleetDescription>("/v1/fleets/bounded", ApiServer.Json, cancel))!.Counts;
            Assert.Equal(new ModelCounts(0, 1, rejections, RejectedDropped: rejections - 2), counts);
            var rejected = (await reader.GetFromJsonAsync<ModelPage>("/v1/fleets/bounded/models?status=Rejected", ApiServer.Json, cancel))!;
            Assert.Equal(kept, rejected.Items.Select(record => record.ModelId));
            Assert.Equal((2, rejections - 2), (rejected.Total, rejected.Dropped));
            var all = (await reader.GetFromJsonAsync<ModelPage>("/v1/fleets/bounded/models", ApiServer.Json, cancel))!;
            Assert.Equal(["good", .. kept], all.Items.Select(record => record.ModelId));
            Assert.Equal(rejections - 2, all.Dropped);
            Assert.Equal(0, (await reader.GetFromJsonAsync<ModelPage>("/v1/fleets/bounded/models?status=Absorbed", ApiServer.Json, cancel))!.Dropped);
            using var dropped = await reader.GetAsync("/v1/fleets/bounded/models/bad-0", cancel);
            Assert.Equal(HttpStatusCode.NotFound, dropped.StatusCode);
        }
    }
}
