using System.CommandLine;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Output;
using OrleansUws.Grains.Interfaces;
using Spectre.Console;

namespace OrleansUws.Coordinator.Verbs;

/// <summary><c>uws basis export</c>: writes a layer's current basis, or a retained earlier version, as a safetensors file.</summary>
public sealed class BasisExportCommand : Command
{
    private readonly Option<string> _layer = new("--layer") { Description = "Layer id, e.g. layers.0.self_attn.q_proj.", Required = true };
    private readonly Option<string> _mode = new("--mode") { Description = "Sketch mode: rows, columns or flattened.", DefaultValueFactory = _ => "rows" };
    private readonly Option<string> _out = new("--out", "-o") { Description = "File to write (a folder: <layer>.<mode>.safetensors inside it).", Required = true };
    private readonly Option<bool> _compute = new("--compute") { Description = "Compute a version covering every absorbed model first." };
    private readonly Option<int?> _version = new("--version") { Description = "Write this version instead of the current one (while the cluster retains it, see Uws:Cluster:BasisVersionsKept)." };
    private readonly ClusterConnectionCliOptions _cluster = new();
    private readonly CliContext _context;

    /// <summary>Creates the verb writing to <paramref name="context"/>.</summary>
    public BasisExportCommand(CliContext context)
        : base("export", "Write a layer's current basis (k×d vectors, singular values, mean) with its metadata as safetensors.")
    {
        _context = context;
        Options.Add(_layer);
        Options.Add(_mode);
        Options.Add(_out);
        Options.Add(_compute);
        Options.Add(_version);
        _cluster.AddTo(this);
        SetAction(ExecuteAsync);
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var layer = parseResult.GetRequiredValue(_layer);
        var modeText = parseResult.GetRequiredValue(_mode);
        var output = parseResult.GetRequiredValue(_out);
        var failures = new ValidationFailures();
        failures.NotBlank("--layer", layer);
        failures.OneOf("--mode", modeText, Jobs.RunOptionsValidator.Modes);
        failures.NotBlank("--out", output);
        var version = parseResult.GetValue(_version);
        if (version is { } asked)
        {
            failures.AtLeast("--version", asked, 1);
        }

        var (_, connection) = OptionsValidation.BindBoth(() => failures.ThrowIfAny(), () => _cluster.Bind(parseResult));
        var mode = UwsKeys.ParseMode(modeText);
        await using var session = await UwsSession.StartAsync(connection, cancellationToken: cancellationToken).ConfigureAwait(false);
        var fleet = await session.Fleet.GetDescriptionAsync().ConfigureAwait(false);
        if (!fleet.Layers.Any(l => l.Layer == layer))
        {
            throw new UsageException($"--layer '{layer}' is not a layer of fleet '{fleet.Fleet}' ({fleet.Layers.Count} layers{(fleet.Layers.Count > 0 ? $", e.g. '{fleet.Layers[0].Layer}'" : string.Empty)})");
        }

        if (!fleet.Modes.Contains(mode))
        {
            throw new UsageException($"--mode '{modeText}' is not maintained by fleet '{fleet.Fleet}' (modes: {string.Join(", ", fleet.Modes.Select(UwsKeys.ModeName))})");
        }

        var grain = session.Layer(layer, mode);
        if (parseResult.GetValue(_compute))
        {
            await grain.ComputeNowAsync().ConfigureAwait(false);
        }

        var basis = await grain.GetBasisAsync().ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Layer '{layer}' ({modeText}) of fleet '{fleet.Fleet}' has no basis yet: no version was computed (try --compute).");
        if (version is { } pinned)
        {
            var (retained, missing) = await Http.ClusterBases.VersionAsync(session.Client, basis, pinned).ConfigureAwait(false);
            basis = retained ?? throw new UsageException($"--version: {missing}");
        }

        var path = Directory.Exists(output) ? Path.Combine(output, BasisFileWriter.FileName(layer, mode)) : output;
        BasisFileWriter.Write(path, basis);
        _context.Console.MarkupLineInterpolated(
            $"wrote {layer} ({modeText}) version {basis.Info.Version}: k={basis.Info.Rank}, d={basis.Dimension}, T={basis.Info.ModelCount} to {Path.GetFullPath(path)}");
        return ExitCodes.Success;
    }
}
