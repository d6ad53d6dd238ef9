using Spectre.Console;

namespace OrleansUws.Coordinator.Output;

/// <summary>The one progress-bar style of the CLI (description, bar, percentage, count and rate, elapsed, remaining: the ETA).</summary>
public static class ProgressDisplay
{
    /// <summary>A progress display on <paramref name="console"/>; it degrades to plain lines when the console is not interactive.</summary>
    public static Progress Create(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        return console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new CountAndRateColumn(),
                new ElapsedTimeColumn(),
                new RemainingTimeColumn());
    }
}
