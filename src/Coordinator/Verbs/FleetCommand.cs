using System.CommandLine;
using OrleansUws.Coordinator.Cli;

namespace OrleansUws.Coordinator.Verbs;

/// <summary><c>uws fleet</c>: fleet files on disk (sub-verb <c>generate</c>).</summary>
public sealed class FleetCommand : Command
{
    /// <summary>Creates the verb group.</summary>
    public FleetCommand(CliContext context)
        : base("fleet", "Fleets on disk.")
    {
        Subcommands.Add(new FleetGenerateCommand(context));
    }
}
