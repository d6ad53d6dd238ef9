using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OrleansUws.Cluster.Tests.Processes;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Http;
using OrleansUws.Coordinator.Verbs;
using OrleansUws.Grains.Interfaces;
using StackExchange.Redis;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary><c>uws serve</c>'s hosting by configuration: addresses from ASPNETCORE_URLS/URLS, TLS from the Kestrel section, Redis with a password.</summary>
public sealed class ServeHostingTests
{
    [Fact]
    public async Task Without_urls_the_configured_addresses_are_used()
    {
        var port = FreePort.Next();
        await using var server = await ApiServer.StartAsync(
            options => options.Urls = null,
            [new("urls", $"http://127.0.0.1:{port}")]); // what ASPNETCORE_URLS or URLS set
        Assert.Equal([$"http://127.0.0.1:{port}"], server.App.Urls);
        using var client = server.Client(null);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Fact]
    public async Task Tls_comes_from_the_kestrel_configuration()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var folder = new TempFolder();
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var pfx = folder.Combine("server.pfx");
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, "test-password"), cancel);

        var port = FreePort.Next();
        await using var server = await ApiServer.StartAsync(options => options.Urls = null, new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Https:Url"] = $"https://127.0.0.1:{port}",
            ["Kestrel:Certificates:Default:Path"] = pfx,
            ["Kestrel:Certificates:Default:Password"] = "test-password",
        });
        Assert.Equal([$"https://127.0.0.1:{port}"], server.App.Urls);

        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint };
        using var client = new HttpClient(handler) { BaseAddress = server.Address };
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiServer.ReadKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/fleets/tls", cancel)).StatusCode);
    }

    [Fact]
    public async Task Redis_password_from_the_connection_string_is_used_by_the_silo_and_by_a_client_gateway()
    {
        var cancel = TestContext.Current.CancellationToken;
        using var redis = await RedisServer.StartOrSkipAsync("--requirepass", "s3cret-pass");
        var connection = $"{redis.ConnectionString},password=s3cret-pass";

        // Without the password the server refuses: whatever works below used it.
        var refused = await Assert.ThrowsAsync<RedisConnectionException>(() => ConnectionMultiplexer.ConnectAsync(redis.ConnectionString));
        Assert.Equal(ConnectionFailureType.AuthenticationFailure, refused.FailureType);

        // An embedded silo on Redis clustering and storage ...
        await using var server = await ApiServer.StartAsync(settings: [new("Uws:Silo:RedisConnectionString", connection)]);
        await ApiServer.GenerateFleetAsync(Path.Combine(server.ModelRoot, "fleet"), 1);
        using var ingest = server.Client(ApiServer.IngestKey);
        using var registered = await ingest.PostAsJsonAsync("/v1/fleets/auth/models", new RegisterModelRequest("m0", "fleet/model-00000"), cancel);
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);

        using (var authenticated = await ConnectionMultiplexer.ConnectAsync(connection))
        {
            Assert.True(await authenticated.GetServers()[0].DatabaseSizeAsync() > 0, "nothing was written to Redis");
        }

        // ... and a second gateway that joins that cluster as a client through the same Redis.
        var clientOptions = new ServeOptions { Urls = "http://127.0.0.1:0", UploadFolder = server.Folder.Combine("client-uploads"), KeysFile = server.Options.KeysFile };
        await using var gateway = ServeCommand.Build(clientOptions, new ClusterConnectionOptions { Redis = connection });
        await gateway.StartAsync(cancel);
        using var reader = new HttpClient { BaseAddress = new Uri(gateway.Urls.First()) };
        reader.DefaultRequestHeaders.Add("X-Api-Key", ApiServer.ReadKey);
        var fleet = await reader.GetFromJsonAsync<FleetDescription>("/v1/fleets/auth", ApiServer.Json, cancel);
        Assert.Equal(1, fleet!.Counts.Absorbed);
        await gateway.StopAsync(cancel);
    }
}
