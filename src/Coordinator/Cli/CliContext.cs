using Spectre.Console;

namespace OrleansUws.Coordinator.Cli;

/// <summary>Where a command writes: the rich console (tables, progress), plain output, and errors.</summary>
/// <param name="Console">Spectre console for tables and progress bars.</param>
/// <param name="Out">Plain standard output (machine-readable lines).</param>
/// <param name="Error">Standard error: one line per problem.</param>
public sealed record CliContext(IAnsiConsole Console, TextWriter Out, TextWriter Error)
{
    /// <summary>Width assumed for tables when the output is redirected (a file or pipe has no width; Spectre would assume 80): the run table with every diagnostic column fits in it.</summary>
    public const int RedirectedWidth = 200;

    /// <summary>The process's own console, output and error streams.</summary>
    public static CliContext ForProcess()
    {
        var console = AnsiConsole.Console;
        if (System.Console.IsOutputRedirected)
        {
            console.Profile.Width = RedirectedWidth;
        }

        return new CliContext(console, System.Console.Out, System.Console.Error);
    }

    /// <summary>A context writing everything (without ANSI codes or live rendering) to <paramref name="out"/> and <paramref name="error"/>; for tests and redirected output.</summary>
    public static CliContext ForWriters(TextWriter @out, TextWriter error)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(@out),
        });
        console.Profile.Width = RedirectedWidth;
        return new CliContext(console, @out, error);
    }
}
