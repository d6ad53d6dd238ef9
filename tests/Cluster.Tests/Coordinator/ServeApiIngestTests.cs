using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using OrleansUws.Coordinator.Http;
using OrleansUws.Grains.Interfaces;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>One server for the class, uploads limited to 1 MiB, a generated fleet inside its model root.</summary>
public sealed class ServeApiIngestFixture : IAsyncLifetime
{
    internal ApiServer Server { get; private set; } = null!;

    /// <summary>The generated fleet (6 tiny adapters) inside the model root.</summary>
    public string Fleet => Path.Combine(Server.ModelRoot, "fleet");

    /// <summary>A folder outside every root, holding a file that looks like /etc/shadow.</summary>
    public string Outside => Server.Folder.Combine("outside");

    public async ValueTask InitializeAsync()
    {
        Server = await ApiServer.StartAsync(options => options.MaxUploadBytes = 1 << 20);
        await ApiServer.GenerateFleetAsync(Fleet, 6);
        Directory.CreateDirectory(Outside);
        await File.WriteAllTextAsync(Path.Combine(Outside, "shadow"), "root:*:20000:0:99999:7:::\n");
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Registration by path confined to the roots, bounded bodies, immutable uploads, problem+json naming the field.</summary>
public sealed class ServeApiIngestTests(ServeApiIngestFixture fixture) : IClassFixture<ServeApiIngestFixture>
{
    private const string Refusal = "location must lie inside a model root";

    private ApiServer Server => fixture.Server;

    [Fact]
    public async Task Registration_by_path_stays_inside_the_roots_and_says_nothing_about_what_exists()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var ingest = Server.Client(ApiServer.IngestKey);
        var root = Server.ModelRoot;
        File.CreateSymbolicLink(Path.Combine(root, "shadow-link"), Path.Combine(fixture.Outside, "shadow"));
        Directory.CreateSymbolicLink(Path.Combine(root, "outside-link"), fixture.Outside);
        Directory.CreateSymbolicLink(Path.Combine(root, "inside-link"), fixture.Fleet);

        var escapes = new[]
        {
            "../outside/shadow", "fleet/../../outside/shadow", Path.Combine(fixture.Outside, "shadow"), Path.Combine(fixture.Outside, "no-such-file"),
            "/etc/passwd", "/no/such/path", "shadow-link", "outside-link/shadow", "outside-link/no-such-file", Path.Combine(root, "outside-link", "shadow"),
        };
        var answers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (location, i) in escapes.Select((location, i) => (location, i)))
        {
            using var response = await ingest.PostAsJsonAsync("/v1/fleets/paths/models", new RegisterModelRequest($"escape-{i}", location), cancel);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{location}: {response.StatusCode}");
            var error = await ApiServer.ErrorForAsync(response, "location");
            Assert.StartsWith(Refusal, error, StringComparison.Ordinal);
            answers.Add(error);
        }

        Assert.Single(answers); // the same answer whether the target exists or not

        // Inside the roots: relative, absolute, and through a link that stays inside.
        foreach (var (id, location) in new[] { ("rel", "fleet/model-00000"), ("abs", Path.Combine(fixture.Fleet, "model-00001")), ("link", "inside-link/model-00002") })
        {
            using var response = await ingest.PostAsJsonAsync("/v1/fleets/paths/models", new RegisterModelRequest(id, location), cancel);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{location}: {response.StatusCode} {await response.Content.ReadAsStringAsync(cancel)}");
            Assert.Equal(ModelStatus.Absorbed, (await response.Content.ReadFromJsonAsync<SubmitResult>(ApiServer.Json, cancel))!.Status);
        }

        using var reader = Server.Client(ApiServer.ReadKey);
        var page = await reader.GetFromJsonAsync<ModelPage>("/v1/fleets/paths/models", ApiServer.Json, cancel);
        Assert.Equal(["rel", "abs", "link"], page!.Items.Select(record => record.ModelId));
        Assert.Equal(Path.Combine(fixture.Fleet, "model-00002"), page.Items[2].Location); // stored with the link resolved
    }

    [Fact]
    public async Task A_rejected_file_inside_a_root_is_not_quoted()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var ingest = Server.Client(ApiServer.IngestKey);
        var copy = Path.Combine(Server.ModelRoot, "shadow.safetensors");
        File.Copy(Path.Combine(fixture.Outside, "shadow"), copy, overwrite: true);
        using var response = await ingest.PostAsJsonAsync("/v1/fleets/quoted/models", new RegisterModelRequest("shadow", "shadow.safetensors"), cancel);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(cancel);
        Assert.Contains("not a safetensors file", body, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_bodies_and_parameters_are_400_problems_naming_the_field()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var ingest = Server.Client(ApiServer.IngestKey);

        using var malformed = await ingest.PostAsync("/v1/fleets/bodies/models", new StringContent("{\"modelId\": \"m\", \"location\": ", Encoding.UTF8, "application/json"), cancel);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        var detail = (await ApiServer.ProblemAsync(malformed)).GetProperty("detail").GetString();
        Assert.Contains("RegisterModelRequest", detail, StringComparison.Ordinal);
        Assert.Contains("BytePositionInLine", detail, StringComparison.Ordinal);

        using var missing = await ingest.PostAsJsonAsync("/v1/fleets/bodies/models", new { modelId = "m" }, cancel);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("location is required", await ApiServer.ErrorForAsync(missing, "location"), StringComparison.Ordinal);

        using var badId = await ingest.PostAsJsonAsync("/v1/fleets/bodies/models", new RegisterModelRequest("../etc", "fleet/model-00000"), cancel);
        Assert.Contains("modelId '../etc'", await ApiServer.ErrorForAsync(badId, "modelId"), StringComparison.Ordinal);

        using var reader = Server.Client(ApiServer.ReadKey);
        using var badMode = await reader.GetAsync("/v1/fleets/bodies/layers/l0/diagonal", cancel);
        Assert.Contains("mode 'diagonal'", await ApiServer.ErrorForAsync(badMode, "mode"), StringComparison.Ordinal);

        using var badStatus = await reader.GetAsync("/v1/fleets/bodies/models?status=Lost", cancel);
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.StatusCode);
        Assert.Contains("status", (await ApiServer.ProblemAsync(badStatus)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var badLimit = await reader.GetAsync("/v1/fleets/bodies/models?limit=0", cancel);
        Assert.Contains("limit must be in [1, 1000] (got 0)", await ApiServer.ErrorForAsync(badLimit, "limit"), StringComparison.Ordinal);

        using var badVersion = await reader.GetAsync("/v1/fleets/bodies/bases?since=-1", cancel);
        Assert.Contains("since must not be negative", await ApiServer.ErrorForAsync(badVersion, "since"), StringComparison.Ordinal);

        using var unknown = await reader.GetAsync("/v1/fleets/bodies/models/nobody", cancel);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no model 'nobody'", await ApiServer.ErrorForAsync(unknown, "modelId"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_bodies_are_refused_before_they_are_read_and_leave_nothing_on_disk()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var ingest = Server.Client(ApiServer.IngestKey);

        // Declared too large: refused from the headers alone (the client waits for "100 Continue" before sending the body,
        // and the server answers 413 instead).
        var declared = new CountingStream(64L << 20);
        using (var content = new StreamContent(declared))
        {
            content.Headers.ContentLength = declared.Length;
            using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/fleets/big/models/declared") { Content = content };
            request.Headers.ExpectContinue = true;
            using var response = await ingest.SendAsync(request, cancel);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("at most 1048576 are accepted", await ApiServer.ErrorForAsync(response, "Content-Length"), StringComparison.Ordinal);
        }

        Assert.Equal(0, declared.Served);

        // Chunked (no length): Kestrel stops it at the limit while it is streamed to staging.
        var chunked = new CountingStream(64L << 20);
        using (var content = new StreamContent(chunked))
        {
            HttpStatusCode? status = null;
            try
            {
                using var response = await ingest.PutAsync("/v1/fleets/big/models/chunked", content, cancel);
                status = response.StatusCode;
            }
            catch (HttpRequestException)
            {
                // the server may close the connection while the client is still sending
            }

            Assert.True(status is null or HttpStatusCode.RequestEntityTooLarge, $"chunked oversized upload answered {status}");
        }

        Assert.True(chunked.Served < 16L << 20, $"{chunked.Served} bytes of a refused chunked body were sent");

        // A JSON body above the 1 MiB default for other requests, refused from its Content-Length: without "Expect: 100-continue"
        // the client would still be sending when the server answers and closes, and could see a broken pipe instead of the 413.
        using (var big = new StringContent($"{{\"modelId\":\"m\",\"location\":\"{new string('a', 2 << 20)}\"}}", Encoding.UTF8, "application/json"))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/fleets/big/models") { Content = big };
            request.Headers.ExpectContinue = true;
            using var response = await ingest.SendAsync(request, cancel);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            await ApiServer.ProblemAsync(response);
        }

        await TestWait.UntilAsync(
            () => !Directory.EnumerateFiles(Path.Combine(Server.Options.UploadFolder, ".staging"), "*", SearchOption.AllDirectories).Any()
                && !(Directory.Exists(Path.Combine(Server.Options.UploadFolder, "big")) && Directory.EnumerateFileSystemEntries(Path.Combine(Server.Options.UploadFolder, "big")).Any()),
            "no upload file is left");
        using var reader = Server.Client(ApiServer.ReadKey);
        Assert.Equal(0, (await reader.GetFromJsonAsync<ModelPage>("/v1/fleets/big/models", ApiServer.Json, cancel))!.Total);
    }

    [Fact]
    public async Task Stored_models_are_immutable_and_rejected_uploads_leave_nothing()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var ingest = Server.Client(ApiServer.IngestKey);
        var model = Path.Combine(fixture.Fleet, "model-00003");
        var stored = Path.Combine(Server.Options.UploadFolder, "immutable", "up", "adapter_model.safetensors");

        using (var first = await ingest.PutAsync("/v1/fleets/immutable/models/up", await FormAsync(model), cancel))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var original = await File.ReadAllBytesAsync(stored, cancel);
        using (var again = await ingest.PutAsync("/v1/fleets/immutable/models/up", await FormAsync(Path.Combine(fixture.Fleet, "model-00004")), cancel))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Contains("already absorbed", await ApiServer.ErrorForAsync(again, "modelId"), StringComparison.Ordinal);
        }

        Assert.Equal(original, await File.ReadAllBytesAsync(stored, cancel));

        // An id registered by path cannot be uploaded over either.
        using (var registered = await ingest.PostAsJsonAsync("/v1/fleets/immutable/models", new RegisterModelRequest("byref", "fleet/model-00005"), cancel))
        {
            Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        }

        using (var over = await ingest.PutAsync("/v1/fleets/immutable/models/byref", await FormAsync(model), cancel))
        {
            Assert.Equal(HttpStatusCode.Conflict, over.StatusCode);
        }

        // A rejected upload (not a safetensors file) answers 422 and its file is removed.
        using (var corrupt = await ingest.PutAsync("/v1/fleets/immutable/models/bad", new ByteArrayContent("root:*:20000:0:99999:7:::\n"u8.ToArray()), cancel))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, corrupt.StatusCode);
            var result = await corrupt.Content.ReadFromJsonAsync<SubmitResult>(ApiServer.Json, cancel);
            Assert.Equal(ModelStatus.Rejected, result!.Status);
            Assert.Contains("bad.safetensors", result.Reason, StringComparison.Ordinal);
            Assert.DoesNotContain("root:", result.Reason, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(Server.Options.UploadFolder, "immutable", "bad.safetensors")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(Server.Options.UploadFolder, ".staging")));

        using var reader = Server.Client(ApiServer.ReadKey);
        var rejected = await reader.GetFromJsonAsync<ModelPage>("/v1/fleets/immutable/models?status=Rejected", ApiServer.Json, cancel);
        Assert.Equal(["bad"], rejected!.Items.Select(record => record.ModelId));
        var second = await reader.GetFromJsonAsync<ModelPage>("/v1/fleets/immutable/models?offset=1&limit=1", ApiServer.Json, cancel);
        Assert.Equal((3, 1, "byref"), (second!.Total, second.Items.Count, second.Items[0].ModelId));
    }

    [Fact]
    public async Task An_admin_deletes_a_model_its_files_go_and_the_id_can_be_uploaded_anew()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var ingest = Server.Client(ApiServer.IngestKey);
        using var admin = Server.Client(ApiServer.AdminKey);
        var folder = Path.Combine(Server.Options.UploadFolder, "deletion", "gone");
        foreach (var id in new[] { "kept", "gone" })
        {
            using var uploaded = await ingest.PutAsync($"/v1/fleets/deletion/models/{id}", await FormAsync(Path.Combine(fixture.Fleet, id == "kept" ? "model-00000" : "model-00001")), cancel);
            Assert.Equal(HttpStatusCode.OK, uploaded.StatusCode);
        }

        using (var deleted = await admin.DeleteAsync("/v1/fleets/deletion/models/gone", cancel))
        {
            Assert.True(deleted.StatusCode == HttpStatusCode.OK, await deleted.Content.ReadAsStringAsync(cancel));
            var result = await deleted.Content.ReadFromJsonAsync<DeletionResult>(ApiServer.Json, cancel);
            Assert.Equal((true, 1), (result!.Deleted, result.RemainingModels));
        }

        Assert.False(Directory.Exists(folder), "the deleted model's uploaded files are still there");
        using var reader = Server.Client(ApiServer.ReadKey);
        Assert.Equal(ModelStatus.Deleted, (await reader.GetFromJsonAsync<ModelRecord>("/v1/fleets/deletion/models/gone", ApiServer.Json, cancel))!.Status);

        using (var again = await admin.DeleteAsync("/v1/fleets/deletion/models/gone", cancel))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Contains("was not deleted", await ApiServer.ErrorForAsync(again, "modelId"), StringComparison.Ordinal);
        }

        using (var unknown = await admin.DeleteAsync("/v1/fleets/deletion/models/nobody", cancel))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        using var reupload = await ingest.PutAsync("/v1/fleets/deletion/models/gone", await FormAsync(Path.Combine(fixture.Fleet, "model-00001")), cancel);
        Assert.Equal(HttpStatusCode.OK, reupload.StatusCode);
        Assert.Equal(ModelStatus.Absorbed, (await reupload.Content.ReadFromJsonAsync<SubmitResult>(ApiServer.Json, cancel))!.Status);
    }

    private static async Task<MultipartFormDataContent> FormAsync(string model)
    {
        var form = new MultipartFormDataContent();
        foreach (var name in new[] { "adapter_config.json", "adapter_model.safetensors" })
        {
            var content = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(model, name), TestContext.Current.CancellationToken));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(content, "files", name);
        }

        return form;
    }

    /// <summary>A stream of <see cref="Length"/> zero bytes generated on demand, counting how many were read.</summary>
    private sealed class CountingStream(long length) : Stream
    {
        private long _served;

        public long Served => Interlocked.Read(ref _served);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => Served; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - Served);
            Array.Clear(buffer, offset, n);
            Interlocked.Add(ref _served, n);
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
