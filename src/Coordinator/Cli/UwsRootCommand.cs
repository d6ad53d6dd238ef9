using System.CommandLine;
using OrleansUws.Coordinator.Verbs;

namespace OrleansUws.Coordinator.Cli;

/// <summary>The command tree of <c>uws</c>.</summary>
public static class UwsRootCommand
{
    /// <summary>Builds the root command with every verb writing to <paramref name="context"/>.</summary>
    public static RootCommand Create(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var root = new RootCommand("OrleansUws: maintains per-layer universal weight subspaces of a model fleet on an Orleans cluster.");
        root.Subcommands.Add(new RunCommand(context));
        root.Subcommands.Add(new IngestCommand(context));
        root.Subcommands.Add(new DeleteCommand(context));
        root.Subcommands.Add(new StatusCommand(context));
        root.Subcommands.Add(new BasisCommand(context));
        root.Subcommands.Add(new FleetCommand(context));
        root.Subcommands.Add(new ServeCommand(context));
        return root;
    }
}
