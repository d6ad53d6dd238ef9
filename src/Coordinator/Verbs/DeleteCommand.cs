using System.CommandLine;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Hosting;
using Spectre.Console;

namespace OrleansUws.Coordinator.Verbs;

/// <summary><c>uws delete MODEL…</c>: withdraws absorbed models from every layer (see <c>IFleetGrain.DeleteAsync</c>).</summary>
public sealed class DeleteCommand : Command
{
    private readonly Argument<string[]> _models = new("models") { Description = "Ids of the models to delete.", Arity = ArgumentArity.OneOrMore };
    private readonly ClusterConnectionCliOptions _cluster = new();
    private readonly CliContext _context;

    /// <summary>Creates the verb writing to <paramref name="context"/>.</summary>
    public DeleteCommand(CliContext context)
        : base("delete", "Delete absorbed models: exact-Gram and Nyström layers subtract them, Frequent Directions layers rebuild the slice that held them; every layer publishes a version without them.")
    {
        _context = context;
        Arguments.Add(_models);
        _cluster.AddTo(this);
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var connection = _cluster.Bind(parseResult);
        await using var session = await UwsSession.StartAsync(connection, cancellationToken: cancellationToken).ConfigureAwait(false);
        var refused = 0;
        foreach (var model in parseResult.GetValue(_models) ?? [])
        {
            var result = await session.Fleet.DeleteAsync(model).ConfigureAwait(false);
            refused += result.Deleted ? 0 : 1;
            // The markup is literal text, the interpolated values are escaped: a conditional "[yellow]…[/]" would print as is.
            if (result.Deleted)
            {
                _context.Console.MarkupLineInterpolated($"deleted {model}: {result.Reason}");
            }
            else
            {
                _context.Console.MarkupLineInterpolated($"[yellow]not deleted[/] {model}: {result.Reason}");
            }
        }

        return refused == 0 ? ExitCodes.Success : ExitCodes.ModelsNotAbsorbed;
    }
}
