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
    [InlineData(null, null, int.MaxValue)]
    [InlineData("127.0.0.1:6379", null, 1)]
    [InlineData(null, "8", 8)]
    public void Slices_checkpoint_every_model_to_durable_storage_and_only_on_deactivation_to_memory(string? redis, string? configured, int expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Uws:Silo:RedisConnectionString"] = redis,
            ["Uws:Cluster:SliceCheckpointEveryModels"] = configured,
        });
        builder.AddUwsSilo();
        using var host = builder.Build();
        Assert.Equal(expected, host.Services.GetRequiredService<IOptions<UwsClusterOptions>>().Value.SliceCheckpointEveryModels);
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
}
