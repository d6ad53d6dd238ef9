using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Net;
using System.Text.Json.Serialization;
using System.Text.Json;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Http;
using OrleansUws.Coordinator.Output;
using OrleansUws.Coordinator.Verbs;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Safetensors;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary><c>uws serve</c> on an embedded silo: upload, reference, status, basis download, SSE stream, health.</summary>
public sealed class ServeApiTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public async Task Upload_reference_compute_download_and_stream_versions()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var folder = new TempFolder();
        var fleetFolder = folder.Combine("fleet");
        var generated = await CliHarness.InvokeAsync("fleet", "generate", "--out", fleetFolder, "--preset", "tiny", "--models", "2", "--layers", "1", "--seed", "5");
        Assert.True(generated.ExitCode == ExitCodes.Success, generated.ToString());

        var options = new ServeOptions { Urls = "http://127.0.0.1:0", UploadFolder = folder.Combine("uploads"), SiloPort = FreePort.Next(), GatewayPort = FreePort.Next() };
        await using var app = ServeCommand.Build(options, new ClusterConnectionOptions());
        await app.StartAsync(cancel);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive", cancel)).StatusCode);

        // Upload model 0 as a PEFT adapter (multipart).
        var model0 = Path.Combine(fleetFolder, "model-00000");
        using var form = new MultipartFormDataContent();
        foreach (var name in new[] { "adapter_config.json", "adapter_model.safetensors" })
        {
            var content = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(model0, name), cancel));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(content, "files", name);
        }

        var upload = await http.PutAsync("/api/fleets/web/models/model-00000", form, cancel);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        var uploaded = await upload.Content.ReadFromJsonAsync<SubmitResult>(Json, cancel);
        Assert.Equal(ModelStatus.Absorbed, uploaded!.Status);
        Assert.True(File.Exists(Path.Combine(options.UploadFolder, "web", "model-00000", "adapter_model.safetensors")));

        var fleet = await http.GetFromJsonAsync<FleetDescription>("/api/fleets/web", Json, cancel);
        Assert.Equal(1, fleet!.Counts.Absorbed);
        var layer = fleet.Layers[0].Layer;
        var first = await (await http.PostAsync($"/api/fleets/web/layers/{layer}/rows/compute", null, cancel)).Content.ReadFromJsonAsync<BasisVersionInfo>(Json, cancel);
        Assert.Equal(1, first!.Version);

        // Subscribe: the stream starts with the current version of every layer, then each new one.
        using var events = await http.GetAsync("/api/fleets/web/events", HttpCompletionOption.ResponseHeadersRead, cancel);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType?.MediaType);
        await using var stream = await events.Content.ReadAsStreamAsync(cancel);
        await using var items = SseParser.Create(stream).EnumerateAsync(cancel).GetAsyncEnumerator(cancel);
        var snapshot = await NextVersionAsync(items);
        Assert.Equal((layer, 1), (snapshot.Layer, snapshot.Version));

        // Reference model 1 by path, compute, and receive version 2 on the stream.
        var reference = await http.PostAsJsonAsync("/api/fleets/web/models", new ModelReference("model-00001", Path.Combine(fleetFolder, "model-00001")), Json, cancel);
        Assert.Equal(HttpStatusCode.OK, reference.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync($"/api/fleets/web/layers/{layer}/rows/compute", null, cancel)).StatusCode);
        var published = await NextVersionAsync(items);
        Assert.Equal((layer, 2, 2), (published.Layer, published.Version, published.ModelCount));

        // Download the basis.
        var download = await http.GetAsync($"/api/fleets/web/layers/{layer}/rows/basis", cancel);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        var file = folder.Combine("downloaded.safetensors");
        await File.WriteAllBytesAsync(file, await download.Content.ReadAsByteArrayAsync(cancel), cancel);
        using (var basis = SafetensorsFile.Open(file))
        {
            Assert.Equal(layer, basis.Metadata["layer"]);
            Assert.Equal("2", basis.Metadata["T"]);
            Assert.Equal("2", basis.Metadata["version"]);
            Assert.Equal(published.Rank, basis.GetTensor(BasisFileWriter.BasisTensor).Rows);
        }

        // Stopping the server ends the open event stream (it does not hold the shutdown until the host's timeout).
        await app.StopAsync(cancel);
        Assert.False(await items.MoveNextAsync(), "the event stream goes on after the server stopped");
    }

    [Fact]
    public async Task Bad_names_and_bad_uploads_are_400_naming_the_field()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var folder = new TempFolder();
        var options = new ServeOptions { Urls = "http://127.0.0.1:0", UploadFolder = folder.Combine("uploads"), SiloPort = FreePort.Next(), GatewayPort = FreePort.Next() };
        await using var app = ServeCommand.Build(options, new ClusterConnectionOptions());
        await app.StartAsync(cancel);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var badId = await http.PostAsJsonAsync("/api/fleets/web/models", new ModelReference("../etc", "elsewhere/x"), Json, cancel);
        Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        Assert.Contains("modelId '../etc'", await badId.Content.ReadAsStringAsync(cancel), StringComparison.Ordinal);

        var badMode = await http.GetAsync("/api/fleets/web/layers/l0/diagonal", cancel);
        Assert.Equal(HttpStatusCode.BadRequest, badMode.StatusCode);
        Assert.Contains("mode 'diagonal'", await badMode.Content.ReadAsStringAsync(cancel), StringComparison.Ordinal);

        using var form = new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "files", "weights.bin" } };
        var badFile = await http.PutAsync("/api/fleets/web/models/m1", form, cancel);
        Assert.Equal(HttpStatusCode.BadRequest, badFile.StatusCode);
        Assert.Contains("form file 'weights.bin'", await badFile.Content.ReadAsStringAsync(cancel), StringComparison.Ordinal);

        var corrupt = await http.PutAsync("/api/fleets/web/models/m2", new ByteArrayContent([1, 2, 3]), cancel);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, corrupt.StatusCode);
        var rejected = await corrupt.Content.ReadFromJsonAsync<SubmitResult>(Json, cancel);
        Assert.Equal(ModelStatus.Rejected, rejected!.Status);
        Assert.Contains("m2.safetensors", rejected.Reason, StringComparison.Ordinal);

        await app.StopAsync(cancel);
    }

    private static async Task<BasisVersionInfo> NextVersionAsync(IAsyncEnumerator<SseItem<string>> items)
    {
        Assert.True(await items.MoveNextAsync(), "the event stream ended");
        Assert.Equal(UwsApiEndpoints.BasisEventType, items.Current.EventType);
        return JsonSerializer.Deserialize<BasisVersionInfo>(items.Current.Data, Json)!;
    }
}
