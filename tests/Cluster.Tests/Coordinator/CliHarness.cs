using OrleansUws.Coordinator.Cli;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>Runs <c>uws</c> in-process with captured output.</summary>
internal static class CliHarness
{
    public static async Task<CliRun> InvokeAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await UwsCli.InvokeAsync(args, CliContext.ForWriters(output, error), TestContext.Current.CancellationToken);
        return new CliRun(exitCode, output.ToString(), error.ToString());
    }
}

/// <summary>Exit code and captured streams of one <c>uws</c> invocation.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error)
{
    public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
}
