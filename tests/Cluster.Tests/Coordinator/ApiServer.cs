using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Http;
using OrleansUws.Coordinator.Http.Security;
using OrleansUws.Coordinator.Verbs;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>
/// <c>uws serve</c> on an embedded silo (or as a client of the cluster a connection names) and a free loopback port, with a keys file holding one key per scope (and a
/// spare read key for rate-limit tests), a model root and an upload folder in a fresh temp folder.
/// </summary>
internal sealed class ApiServer : IAsyncDisposable
{
    public const string ReadKey = "uws-test-read-6f1c0a";
    public const string IngestKey = "uws-test-ingest-93be42";
    public const string AdminKey = "uws-test-admin-0d77e1";
    public const string BurstKey = "uws-test-burst-55aa10";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private readonly List<HttpClient> _clients = [];

    private ApiServer(TempFolder folder, ServeOptions options, WebApplication app)
    {
        Folder = folder;
        Options = options;
        App = app;
    }

    public TempFolder Folder { get; }

    public ServeOptions Options { get; }

    public WebApplication App { get; }

    public Uri Address => new(App.Urls.First());

    /// <summary>The model root (registration by path is allowed inside it).</summary>
    public string ModelRoot => Options.ModelRoots[0];

    public static async Task<ApiServer> StartAsync(
        Action<ServeOptions>? configure = null, IEnumerable<KeyValuePair<string, string?>>? settings = null, ClusterConnectionOptions? connection = null)
    {
        var folder = new TempFolder();
        try
        {
            Directory.CreateDirectory(folder.Combine("models"));
            var options = new ServeOptions
            {
                Urls = "http://127.0.0.1:0",
                UploadFolder = folder.Combine("uploads"),
                ModelRoots = [folder.Combine("models")],
                KeysFile = folder.Combine("keys.json"),
                SiloPort = FreePort.Next(),
                GatewayPort = FreePort.Next(),
            };
            WriteKeys(options.KeysFile, ("reader", ReadKey, ApiScopes.Read), ("ingester", IngestKey, ApiScopes.Ingest), ("operator", AdminKey, ApiScopes.Admin), ("burst", BurstKey, ApiScopes.Read));
            configure?.Invoke(options);
            var app = ServeCommand.Build(options, connection ?? new ClusterConnectionOptions(), settings);
            await app.StartAsync(TestContext.Current.CancellationToken);
            return new ApiServer(folder, options, app);
        }
        catch
        {
            folder.Dispose();
            throw;
        }
    }

    /// <summary>Replaces the keys file atomically (the server re-reads it).</summary>
    public static void WriteKeys(string path, params (string Name, string Key, string Scope)[] keys)
    {
        var document = new { Keys = keys.ToDictionary(key => key.Name, key => new { Sha256 = ApiKeyRing.HashOf(key.Key), Scopes = new[] { key.Scope } }) };
        var staged = path + ".new";
        File.WriteAllText(staged, JsonSerializer.Serialize(document));
        File.Move(staged, path, overwrite: true);
    }

    /// <summary>A client that sends <paramref name="key"/> as a bearer token (none when null).</summary>
    public HttpClient Client(string? key)
    {
        // A request that asks for "100 Continue" waits for the server's answer (not the 1 s default) before it sends its body,
        // so a refusal from the headers alone never races the upload on a loaded machine.
        var handler = new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(30) };
        var client = new HttpClient(handler) { BaseAddress = Address, Timeout = TimeSpan.FromMinutes(2) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        _clients.Add(client);
        return client;
    }

    /// <summary>Generates a tiny planted fleet of <paramref name="models"/> adapters into <paramref name="folder"/>.</summary>
    public static async Task GenerateFleetAsync(string folder, int models, int seed = 5)
    {
        var generated = await CliHarness.InvokeAsync("fleet", "generate", "--out", folder, "--preset", "tiny", "--models", models.ToString(System.Globalization.CultureInfo.InvariantCulture), "--layers", "1", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(generated.ExitCode == 0, generated.ToString());
    }

    /// <summary>The problem document of a response, checking its media type.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

    /// <summary>The messages a problem document's <c>errors</c> give for <paramref name="field"/>.</summary>
    public static async Task<string> ErrorForAsync(HttpResponseMessage response, string field)
    {
        var problem = await ProblemAsync(response);
        var messages = default(JsonElement);
        Assert.True(problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out messages), $"the problem names no '{field}': {problem}");
        return string.Join(" | ", messages.EnumerateArray().Select(message => message.GetString()));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
        Folder.Dispose();
    }
}
