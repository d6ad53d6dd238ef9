using System.CommandLine;

namespace OrleansUws.Coordinator.Cli;

/// <summary>
/// The <c>uws</c> command line: builds the command tree, parses, runs the chosen verb, and turns every failure
/// into one line on standard error and an exit code (<see cref="ExitCodes"/>), never a stack trace.
/// </summary>
public static class UwsCli
{
    /// <summary>Parses <paramref name="args"/> and runs the verb.</summary>
    /// <returns>The process exit code.</returns>
    public static async Task<int> InvokeAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        var root = UwsRootCommand.Create(context);
        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                await context.Error.WriteLineAsync($"uws: {error.Message}").ConfigureAwait(false);
            }

            await context.Error.WriteLineAsync($"uws: see '{HelpHint(parseResult)} --help'").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // Ctrl+C arrives through cancellationToken (Program.cs)
            Output = context.Out,
            Error = context.Error,
        };
        try
        {
            return await parseResult.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            foreach (var failure in e.Failures)
            {
                await context.Error.WriteLineAsync($"uws: {failure}").ConfigureAwait(false);
            }

            return ExitCodes.Usage;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await context.Error.WriteLineAsync("uws: cancelled").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await context.Error.WriteLineAsync($"uws: {Describe(e)}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
    }

    /// <summary>One line for an unexpected failure: the innermost meaningful message, without the stack trace.</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var e = exception;
        while (e is AggregateException { InnerExceptions.Count: 1 } or System.Reflection.TargetInvocationException && e.InnerException is not null)
        {
            e = e.InnerException!;
        }

        // An argument check's message ends with the name of the internal parameter it was about, noise on a command line.
        var message = e.Message;
        if (e is ArgumentException { ParamName: { } parameter } && $" (Parameter '{parameter}')" is var suffix
            && message.EndsWith(suffix, StringComparison.Ordinal))
        {
            message = message[..^suffix.Length];
        }

        return message.ReplaceLineEndings(" ");
    }

    private static string HelpHint(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Command is RootCommand ? "uws" : result.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }
}
