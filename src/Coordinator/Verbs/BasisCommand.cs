using System.CommandLine;
using OrleansUws.Coordinator.Cli;

namespace OrleansUws.Coordinator.Verbs;

/// <summary><c>uws basis</c>: per-layer bases (sub-verb <c>export</c>).</summary>
public sealed class BasisCommand : Command
{
    /// <summary>Creates the verb group.</summary>
    public BasisCommand(CliContext context)
        : base("basis", "Per-layer bases.")
    {
        Subcommands.Add(new BasisExportCommand(context));
    }
}
