using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text.Json;
using OrleansUws.Coordinator.Http;
using OrleansUws.Coordinator.Output;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Safetensors;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary><c>uws serve</c> end to end: upload, register, layers, history, bases since a version, basis download, the stream.</summary>
public sealed class ServeApiTests
{
    [Fact]
    public async Task Upload_register_compute_list_download_and_stream_versions()
    {
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await ApiServer.StartAsync();
        var fleetFolder = Path.Combine(server.ModelRoot, "fleet");
        await ApiServer.GenerateFleetAsync(fleetFolder, 2);
        using var reader = server.Client(ApiServer.ReadKey);
        using var ingest = server.Client(ApiServer.IngestKey);
        using var admin = server.Client(ApiServer.AdminKey);

        // Upload model 0 as a PEFT adapter (multipart).
        var model0 = Path.Combine(fleetFolder, "model-00000");
        using var form = new MultipartFormDataContent();
        foreach (var name in new[] { "adapter_config.json", "adapter_model.safetensors" })
        {
            var content = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(model0, name), cancel));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(content, "files", name);
        }

        var upload = await ingest.PutAsync("/v1/fleets/web/models/model-00000", form, cancel);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal(ModelStatus.Absorbed, (await upload.Content.ReadFromJsonAsync<SubmitResult>(ApiServer.Json, cancel))!.Status);
        Assert.True(File.Exists(Path.Combine(server.Options.UploadFolder, "web", "model-00000", "adapter_model.safetensors")));

        var fleet = await reader.GetFromJsonAsync<FleetDescription>("/v1/fleets/web", ApiServer.Json, cancel);
        Assert.Equal(1, fleet!.Counts.Absorbed);
        var layer = fleet.Layers[0].Layer;
        var first = await (await admin.PostAsync($"/v1/fleets/web/layers/{layer}/rows/compute", null, cancel)).Content.ReadFromJsonAsync<BasisVersionInfo>(ApiServer.Json, cancel);
        Assert.Equal(1, first!.Version);

        // Subscribe: the stream starts with the latest published version of every layer, then each new one.
        using var events = await reader.GetAsync("/v1/fleets/web/events", HttpCompletionOption.ResponseHeadersRead, cancel);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType?.MediaType);
        await using var stream = await events.Content.ReadAsStreamAsync(cancel);
        await using var items = SseParser.Create(stream).EnumerateAsync(cancel).GetAsyncEnumerator(cancel);
        var snapshot = await NextVersionAsync(items);
        Assert.Equal((layer, 1), (snapshot.Layer, snapshot.Version));

        // Register model 1 by path (relative to the model root), compute, and receive version 2 on the stream.
        var reference = await ingest.PostAsJsonAsync("/v1/fleets/web/models", new RegisterModelRequest("model-00001", "fleet/model-00001"), cancel);
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"/v1/fleets/web/layers/{layer}/rows/compute", null, cancel)).StatusCode);
        var published = await NextVersionAsync(items);
        Assert.Equal((layer, 2, 2), (published.Layer, published.Version, published.ModelCount));

        // Layers: T, k, version, energy, certificate; the history as JSON and CSV; only the layers changed since a version.
        var layers = await reader.GetFromJsonAsync<LayerSummary[]>("/v1/fleets/web/layers", ApiServer.Json, cancel);
        var summary = layers!.Single(entry => entry.Layer == layer && entry.Mode == "rows");
        Assert.Equal((2, 2, published.Rank, published.ExplainedEnergy, published.Certificate), (summary.Version, summary.ModelCount, summary.Rank, summary.ExplainedEnergy, summary.Certificate));

        // …and the diagnostics: model 1 arrived after version 1, so its held-out capture was measured against it.
        Assert.Equal(1, summary.Diagnostics!.HeldOutModels);
        Assert.Equal(published.HeldOut!.MeanShare, summary.Diagnostics.HeldOutCapture);
        Assert.InRange(summary.Diagnostics.HeldOutCapture!.Value, 0, 1);
        Assert.Equal(published.EnergyDistanceToPrevious, summary.Diagnostics.EnergyDistanceToPrevious);
        Assert.NotNull(summary.Diagnostics.NullExplainedEnergy);
        Assert.NotNull(summary.Diagnostics.WithinNoise);
        var history = await reader.GetFromJsonAsync<BasisVersionInfo[]>($"/v1/fleets/web/layers/{layer}/rows/history", ApiServer.Json, cancel);
        Assert.Equal([1, 2], history!.Select(version => version.Version));
        var csv = (await reader.GetStringAsync($"/v1/fleets/web/layers/{layer}/rows/history.csv", cancel)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(ConvergenceCsvWriter.Header, csv[0]);
        Assert.Equal(3, csv.Length);
        Assert.StartsWith($"{layer},rows,false,2,2,", csv[2], StringComparison.Ordinal);
        var changed = await reader.GetFromJsonAsync<BasisVersionInfo[]>("/v1/fleets/web/bases?since=1", ApiServer.Json, cancel);
        Assert.Equal([(layer, 2)], changed!.Select(version => (version.Layer, version.Version)));
        Assert.Empty((await reader.GetFromJsonAsync<BasisVersionInfo[]>("/v1/fleets/web/bases?since=2", ApiServer.Json, cancel))!);

        // Diagnostics of the current basis: the planted directions stand above the noise edge.
        var diagnostics = await reader.GetFromJsonAsync<OrleansUws.Subspace.Diagnostics.BasisDiagnostics>($"/v1/fleets/web/layers/{layer}/rows/diagnostics", ApiServer.Json, cancel);
        Assert.Equal((published.Rank, published.ExplainedEnergy), (diagnostics!.Rank, diagnostics.ExplainedEnergy));

        // Download the basis (the current version, named or not) and the retained version 1.
        var download = await reader.GetAsync($"/v1/fleets/web/layers/{layer}/rows/basis?version=2", cancel);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        var file = server.Folder.Combine("downloaded.safetensors");
        await File.WriteAllBytesAsync(file, await download.Content.ReadAsByteArrayAsync(cancel), cancel);
        using (var basis = SafetensorsFile.Open(file))
        {
            Assert.Equal(layer, basis.Metadata["layer"]);
            Assert.Equal("2", basis.Metadata["T"]);
            Assert.Equal("2", basis.Metadata["version"]);
            Assert.Equal("1", basis.Metadata["heldout_models"]);
            Assert.Equal(published.HeldOut.MeanShare!.Value, double.Parse(basis.Metadata["heldout_capture"], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(published.Rank, basis.GetTensor(BasisFileWriter.BasisTensor).Rows);
        }

        using var old = await reader.GetAsync($"/v1/fleets/web/layers/{layer}/rows/basis?version=1", cancel);
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        await File.WriteAllBytesAsync(file, await old.Content.ReadAsByteArrayAsync(cancel), cancel);
        using (var basis = SafetensorsFile.Open(file))
        {
            Assert.Equal(("1", "1"), (basis.Metadata["version"], basis.Metadata["T"]));
        }

        // Stopping the server ends the open event stream (it does not hold the shutdown until the host's timeout).
        await server.App.StopAsync(cancel);
        Assert.False(await items.MoveNextAsync(), "the event stream goes on after the server stopped");
    }

    internal static async Task<(long Id, BasisVersionInfo Version)> NextEventAsync(IAsyncEnumerator<SseItem<string>> items)
    {
        Assert.True(await items.MoveNextAsync(), "the event stream ended");
        Assert.Equal(BasisStreamEndpoints.BasisEventType, items.Current.EventType);
        return (long.Parse(items.Current.EventId!, System.Globalization.CultureInfo.InvariantCulture), JsonSerializer.Deserialize<BasisVersionInfo>(items.Current.Data, ApiServer.Json)!);
    }

    private static async Task<BasisVersionInfo> NextVersionAsync(IAsyncEnumerator<SseItem<string>> items) => (await NextEventAsync(items)).Version;
}
