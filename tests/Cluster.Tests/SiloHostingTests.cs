using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Grains.Options;
using OrleansUws.Silo.Hosting;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>The silo host as Program.cs builds it: health endpoints, idempotent wiring, options validated at start.</summary>
public sealed class SiloHostingTests
{
    private static Dictionary<string, string?> Ports() => new()
    {
        ["Uws:Silo:SiloPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
        ["Uws:Silo:GatewayPort"] = FreePort.Next().ToString(CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task The_silo_serves_health_and_liveness_once_it_is_active()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(Ports());
        var http = FreePort.Next();
        builder.WebHost.UseUrls($"http://127.0.0.1:{http}");
        builder.AddServiceDefaults();
        builder.AddUwsSilo();
        await using var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{http}") };
            var cancel = TestContext.Current.CancellationToken;
            Assert.Equal("Healthy", await client.GetStringAsync("/alive", cancel));
            await TestWait.UntilAsync(async () => await client.GetStringAsync("/health", cancel) == "Healthy", "/health reports the silo active");
        }
        finally
        {
            await app.StopAsync(TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void Adding_the_silo_and_the_service_defaults_twice_registers_nothing_more()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddServiceDefaults();
        builder.AddUwsSilo();
        var count = builder.Services.Count;
        builder.AddServiceDefaults();
        builder.AddUwsSilo();
        Assert.Equal(count, builder.Services.Count);
    }

    [Theory]
    [InlineData(null, null, int.MaxValue, 0d)]
    [InlineData("127.0.0.1:6379", null, 32, 2d)]
    [InlineData(null, "8", 8, 0d)]
    public void Slices_checkpoint_in_batches_to_durable_storage_and_only_on_deactivation_to_memory(string? redis, string? configured, int expected, double expectedSeconds)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Uws:Silo:RedisConnectionString"] = redis,
            ["Uws:Cluster:SliceCheckpointEveryModels"] = configured,
        });
        builder.AddUwsSilo();
        using var host = builder.Build();
        var options = host.Services.GetRequiredService<IOptions<UwsClusterOptions>>().Value;
        Assert.Equal(expected, options.SliceCheckpointEveryModels);
        Assert.Equal(expectedSeconds, options.SliceCheckpointIntervalSeconds);
    }

    [Theory]
    [InlineData(null, null, "auto", 1)]
    [InlineData("managed", "3", "managed", 3)]
    public void Numerics_backend_and_OpenBLAS_threads_bind_from_the_numerics_section(string? backend, string? threads, string expectedBackend, int expectedThreads)
    {
        if (Environment.GetEnvironmentVariable("UWS_BLAS") is { Length: > 0 })
        {
            Assert.Skip("UWS_BLAS is set and overrides the configured backend.");
        }

        var builder = Host.CreateApplicationBuilder();
        var settings = new Dictionary<string, string?>();
        if (backend is not null)
        {
            settings["Uws:Numerics:Backend"] = backend;
            settings["Uws:Numerics:OpenBlas:ThreadsPerCall"] = threads;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddUwsSilo();
        using var host = builder.Build();
        Assert.Equal(expectedBackend, host.Services.GetRequiredService<IOptions<OrleansUws.Numerics.Hosting.BlasOptions>>().Value.Backend);
        Assert.Equal(expectedThreads, host.Services.GetRequiredService<IOptions<OrleansUws.Numerics.Hosting.OpenBlasOptions>>().Value.ThreadsPerCall);
    }

    [Fact]
    public async Task Invalid_silo_and_cluster_options_stop_the_start_naming_every_field()
    {
        var builder = Host.CreateApplicationBuilder();
        var settings = Ports();
        settings["Uws:Silo:RedisConnectionString"] = " ";
        settings["Uws:Silo:Gpu:MemoryBytes"] = "-5";
        settings["Uws:Cluster:SliceCount"] = "0";
        settings["Uws:Cluster:OpenModelFiles"] = "0";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddUwsSilo();
        using var host = builder.Build();

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken));
        var failures = (ex is AggregateException all ? all.InnerExceptions : [ex]).OfType<OptionsValidationException>().SelectMany(e => e.Failures).ToArray();
        Assert.Contains(failures, f => f.StartsWith("Uws:Silo:RedisConnectionString is blank", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Uws:Silo:Gpu:MemoryBytes must not be negative (was -5)", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Uws:Cluster:SliceCount must be in [1, 1024] (was 0)", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Uws:Cluster:OpenModelFiles must be at least 1 (was 0)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Membership_options_are_read_from_uws_silo_membership_and_checked_by_orleans()
    {
        var builder = Host.CreateApplicationBuilder();
        var settings = Ports();
        settings["Uws:Silo:Membership:NumMissedProbesLimit"] = "7";
        settings["Uws:Silo:Membership:ProbeTimeout"] = "-00:00:01";
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddUwsSilo();
        using var host = builder.Build();
        var membership = host.Services.GetRequiredService<IOptions<Orleans.Configuration.ClusterMembershipOptions>>().Value;
        Assert.Equal(7, membership.NumMissedProbesLimit);

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains("ClusterMembershipOptions.ProbeTimeout (-00:00:01) must be greater than 0", ex.ToString(), StringComparison.Ordinal);
    }
}
