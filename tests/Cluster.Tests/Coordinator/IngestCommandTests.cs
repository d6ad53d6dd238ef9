using OrleansUws.Coordinator.Cli;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary><c>uws ingest</c> in embedded mode: every model is submitted once; a corrupt one is rejected with its reason.</summary>
public sealed class IngestCommandTests
{
    [Fact]
    public async Task Ingest_absorbs_the_fleet_and_names_the_corrupt_file_it_rejects()
    {
        using var folder = new TempFolder();
        var fleet = folder.Combine("fleet");
        var generated = await CliHarness.InvokeAsync("fleet", "generate", "--out", fleet, "--preset", "tiny", "--models", "3", "--layers", "1");
        Assert.Equal(ExitCodes.Success, generated.ExitCode);
        var corrupt = folder.Combine("broken.safetensors");
        await File.WriteAllBytesAsync(corrupt, [1, 2, 3], TestContext.Current.CancellationToken);

        // The fleet folder, one of its models again (the same id: submitted once), and the corrupt checkpoint.
        var run = await CliHarness.InvokeAsync("ingest", fleet, Path.Combine(fleet, "model-00001"), corrupt);

        Assert.True(run.ExitCode == ExitCodes.ModelsNotAbsorbed, run.ToString());
        Assert.Contains("3 absorbed, 1 not absorbed, 0 already known", run.Output, StringComparison.Ordinal);
        var rejection = Assert.Single(run.Output.Split('\n'), line => line.StartsWith("rejected broken: ", StringComparison.Ordinal));
        Assert.Contains("broken.safetensors", rejection, StringComparison.Ordinal);
    }
}
