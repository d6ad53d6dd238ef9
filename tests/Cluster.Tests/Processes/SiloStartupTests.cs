using System.Globalization;
using OrleansUws.Cluster.Tests.Coordinator;
using Xunit;

namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>A silo process configured with a Redis where none listens stops at once, naming the endpoint.</summary>
public sealed class SiloStartupTests
{
    [Fact]
    public async Task A_silo_whose_redis_is_unreachable_exits_naming_the_endpoint()
    {
        var siloDll = Path.Combine(AppContext.BaseDirectory, "OrleansUws.Silo.dll");
        var endpoint = $"127.0.0.1:{FreePort.Next().ToString(CultureInfo.InvariantCulture)}";
        var silo = SiloProcess.Start(0, siloDll, new Dictionary<string, string>
        {
            ["Uws__Silo__RedisConnectionString"] = endpoint,
            ["Uws__Silo__AdvertisedAddress"] = "127.0.0.1",
            ["Uws__Silo__Gpu__Enabled"] = "false",
        });
        using var process = silo.Process;

        await TestWait.UntilAsync(() => process.HasExited, "the silo exits", TimeSpan.FromSeconds(60));

        Assert.Contains($"Redis at {endpoint} (Uws:Silo:RedisConnectionString) is unreachable", process.Output, StringComparison.Ordinal);
    }
}
