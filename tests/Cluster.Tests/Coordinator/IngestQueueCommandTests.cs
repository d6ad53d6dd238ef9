using OrleansUws.Coordinator.Cli;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary><c>uws ingest --redis</c> against an endpoint where no Redis listens: one line naming it, a failure exit code.</summary>
public sealed class IngestQueueCommandTests
{
    [Fact]
    public async Task Ingest_with_an_unreachable_redis_exits_naming_the_endpoint()
    {
        using var folder = new TempFolder();
        var endpoint = $"127.0.0.1:{FreePort.Next()}";

        var run = await CliHarness.InvokeAsync("ingest", folder.Path, "--redis", endpoint);

        Assert.True(run.ExitCode == ExitCodes.Failure, run.ToString());
        Assert.Contains($"Redis at {endpoint} is unreachable", run.Error, StringComparison.Ordinal);
    }
}
