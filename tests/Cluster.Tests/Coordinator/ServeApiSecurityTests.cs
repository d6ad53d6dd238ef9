using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using OrleansUws.Coordinator.Http;
using OrleansUws.Coordinator.Http.Security;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>One server for the class: API keys and scopes, key rotation, rate limiting.</summary>
public sealed class ServeApiSecurityFixture : IAsyncLifetime
{
    internal ApiServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await ApiServer.StartAsync();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Every endpoint's 401 and 403 paths, open health endpoints, key rotation without a restart, per-key rate limits.</summary>
public sealed class ServeApiSecurityTests(ServeApiSecurityFixture fixture) : IClassFixture<ServeApiSecurityFixture>
{
    private ApiServer Server => fixture.Server;

    [Fact]
    public async Task Every_api_endpoint_needs_a_key_with_its_scope()
    {
        var cancel = TestContext.Current.CancellationToken;
        var endpoints = ((IEndpointRouteBuilder)Server.App).DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>()
            .Where(endpoint => endpoint.RoutePattern.RawText!.StartsWith("/v1/", StringComparison.Ordinal))
            .ToArray();
        Assert.True(endpoints.Length >= 12, $"only {endpoints.Length} endpoints found");
        using var none = Server.Client(null);
        using var unknown = Server.Client("not-a-configured-key");
        var weaker = new Dictionary<string, string[]>
        {
            [ApiScopes.Read] = [],
            [ApiScopes.Ingest] = [ApiServer.ReadKey],
            [ApiScopes.Admin] = [ApiServer.ReadKey, ApiServer.IngestKey],
        };
        foreach (var endpoint in endpoints)
        {
            var scope = endpoint.Metadata.GetMetadata<IAuthorizeData>()?.Policy;
            var name = endpoint.RoutePattern.RawText!;
            Assert.True(scope is not null && weaker.ContainsKey(scope), $"{name} requires no scope");
            var method = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods[0];
            var url = name.Replace("{fleet}", "web", StringComparison.Ordinal).Replace("{modelId}", "m1", StringComparison.Ordinal)
                .Replace("{layer}", "l0", StringComparison.Ordinal).Replace("{mode}", "rows", StringComparison.Ordinal);

            using var anonymous = await none.SendAsync(new HttpRequestMessage(new HttpMethod(method), url), cancel);
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"{method} {url} without a key: {anonymous.StatusCode}");
            Assert.Contains("an API key is required", (await ApiServer.ProblemAsync(anonymous)).GetProperty("detail").GetString(), StringComparison.Ordinal);

            using var bad = await unknown.SendAsync(new HttpRequestMessage(new HttpMethod(method), url), cancel);
            Assert.True(bad.StatusCode == HttpStatusCode.Unauthorized, $"{method} {url} with an unknown key: {bad.StatusCode}");

            foreach (var key in weaker[scope!])
            {
                using var client = Server.Client(key);
                using var forbidden = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url), cancel);
                Assert.True(forbidden.StatusCode == HttpStatusCode.Forbidden, $"{method} {url} with a key below '{scope}': {forbidden.StatusCode}");
                Assert.Contains($"lacks the scope '{scope}'", (await ApiServer.ProblemAsync(forbidden)).GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
        }

        // The scopes each endpoint needs, as documented.
        string Scope(string pattern, string method) => endpoints.Single(e => e.RoutePattern.RawText == pattern
            && e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods.Contains(method)).Metadata.GetMetadata<IAuthorizeData>()!.Policy!;
        Assert.Equal(ApiScopes.Ingest, Scope("/v1/fleets/{fleet}/models/{modelId}", "PUT"));
        Assert.Equal(ApiScopes.Ingest, Scope("/v1/fleets/{fleet}/models/", "POST"));
        Assert.Equal(ApiScopes.Admin, Scope("/v1/fleets/{fleet}/layers/{layer}/{mode}/compute", "POST"));
        Assert.Equal(ApiScopes.Read, Scope("/v1/fleets/{fleet}/events", "GET"));
    }

    [Fact]
    public async Task Health_alive_and_the_openapi_document_are_open()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var none = Server.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await none.GetAsync("/health", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await none.GetAsync("/alive", cancel)).StatusCode);
        var document = await none.GetFromJsonAsync<System.Text.Json.JsonElement>(ApiHostingExtensions.OpenApiPath, cancel);
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty(OpenApiDescription.SchemeName).GetProperty("scheme").GetString());
        Assert.True(document.GetProperty("paths").TryGetProperty("/v1/fleets/{fleet}/models/{modelId}", out _));
        Assert.Equal(1, document.GetProperty("security").GetArrayLength());
    }

    [Fact]
    public async Task A_refused_request_changes_nothing()
    {
        var cancel = TestContext.Current.CancellationToken;
        var fleetFolder = Path.Combine(Server.ModelRoot, "refused");
        await ApiServer.GenerateFleetAsync(fleetFolder, 1);
        var model = Path.Combine(fleetFolder, "model-00000", "adapter_model.safetensors");

        using var none = Server.Client(null);
        using var reader = Server.Client(ApiServer.ReadKey);
        using (var body = new ByteArrayContent(await File.ReadAllBytesAsync(model, cancel)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await none.PutAsync("/v1/fleets/refused/models/up", body, cancel)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await reader.PutAsync("/v1/fleets/refused/models/up", body, cancel)).StatusCode);
        }

        var register = new RegisterModelRequest("ref", "refused/model-00000");
        Assert.Equal(HttpStatusCode.Unauthorized, (await none.PostAsJsonAsync("/v1/fleets/refused/models", register, cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsJsonAsync("/v1/fleets/refused/models", register, cancel)).StatusCode);

        Assert.False(Directory.Exists(Path.Combine(Server.Options.UploadFolder, "refused")), "a refused upload created its fleet's folder");
        Assert.True(!Directory.Exists(Server.Options.UploadFolder) || !Directory.EnumerateFiles(Server.Options.UploadFolder, "*", SearchOption.AllDirectories).Any(), "a refused upload left a file");
        var page = await reader.GetFromJsonAsync<ModelPage>("/v1/fleets/refused/models", ApiServer.Json, cancel);
        Assert.Equal(0, page!.Total);
    }

    [Fact]
    public async Task Keys_rotate_without_a_restart()
    {
        var cancel = TestContext.Current.CancellationToken;
        const string First = "rotated-key-one-7c1e", Second = "rotated-key-two-b20f";
        var standard = new[] { ("reader", ApiServer.ReadKey, ApiScopes.Read), ("ingester", ApiServer.IngestKey, ApiScopes.Ingest), ("operator", ApiServer.AdminKey, ApiScopes.Admin), ("burst", ApiServer.BurstKey, ApiScopes.Read) };
        using var first = Server.Client(First);
        using var second = Server.Client(Second);
        Assert.Equal(HttpStatusCode.Unauthorized, (await first.GetAsync("/v1/fleets/rotation", cancel)).StatusCode);
        try
        {
            ApiServer.WriteKeys(Server.Options.KeysFile!, [.. standard, ("rotation", First, ApiScopes.Read)]);
            await TestWait.UntilAsync(async () => (await first.GetAsync("/v1/fleets/rotation", cancel)).StatusCode == HttpStatusCode.OK, "the first rotated key is accepted");

            ApiServer.WriteKeys(Server.Options.KeysFile!, [.. standard, ("rotation", Second, ApiScopes.Read)]);
            await TestWait.UntilAsync(async () => (await second.GetAsync("/v1/fleets/rotation", cancel)).StatusCode == HttpStatusCode.OK, "the second rotated key is accepted");
            Assert.Equal(HttpStatusCode.Unauthorized, (await first.GetAsync("/v1/fleets/rotation", cancel)).StatusCode);
        }
        finally
        {
            ApiServer.WriteKeys(Server.Options.KeysFile!, standard);
        }

        await TestWait.UntilAsync(async () => (await second.GetAsync("/v1/fleets/rotation", cancel)).StatusCode == HttpStatusCode.Unauthorized, "the rotated key is gone");
    }

    [Fact]
    public async Task Each_key_has_its_own_rate_limit()
    {
        const int RequestsPerMinute = 5;
        var cancel = TestContext.Current.CancellationToken;
        await using var server = await ApiServer.StartAsync(options => options.RequestsPerMinute = RequestsPerMinute);
        using var burst = server.Client(ApiServer.BurstKey);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i <= RequestsPerMinute; i++)
        {
            using var response = await burst.GetAsync("/v1/fleets/limits", cancel);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.Contains("rate limit", (await ApiServer.ProblemAsync(response)).GetProperty("detail").GetString(), StringComparison.Ordinal);
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, RequestsPerMinute).Append(HttpStatusCode.TooManyRequests), statuses);

        // Another key is not affected; health stays open.
        using var reader = server.Client(ApiServer.ReadKey);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/v1/fleets/limits", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await burst.GetAsync("/health", cancel)).StatusCode);
    }
}
