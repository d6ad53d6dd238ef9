using System.CommandLine;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Jobs;

namespace OrleansUws.Coordinator.Verbs;

/// <summary><c>uws run</c>: the main job in one command (see <see cref="RunJob"/>).</summary>
public sealed class RunCommand : Command
{
    private static readonly RunOptions Defaults = new();

    private readonly Option<string?> _fleet = new("--fleet") { Description = "Fleet folder to ingest (adapter folders / .safetensors). Default: generate a planted fleet into <out>/fleet." };
    private readonly Option<int> _models = new("--models") { Description = "Models to generate.", DefaultValueFactory = _ => Defaults.Models };
    private readonly Option<int?> _layers = new("--layers") { Description = $"Decoder layers to generate (q/k/v/o each for the Mistral preset; default: {RunOptions.DefaultLayers}, or all of a smaller preset)." };
    private readonly Option<string> _preset = new("--preset") { Description = "Generator preset (see 'uws fleet generate --help').", DefaultValueFactory = _ => Defaults.Preset };
    private readonly Option<double?> _noise = new("--noise") { Description = "Noise level of the generated fleet (default: the preset's)." };
    private readonly Option<ulong> _seed = new("--seed") { Description = "Seed of the generated fleet.", DefaultValueFactory = _ => Defaults.Seed };
    private readonly Option<string> _out = new("--out", "-o") { Description = "Output folder: bases/, convergence.csv, convergence.png.", DefaultValueFactory = _ => Defaults.Output };
    private readonly Option<int?> _k = new("--k") { Description = "Fixed rank k of every basis (default: chosen by --tau)." };
    private readonly Option<double> _tau = new("--tau") { Description = "Energy threshold τ: smallest k explaining this share.", DefaultValueFactory = _ => Defaults.Tau };
    private readonly Option<int> _maxK = new("--max-k") { Description = "Cap on k for the τ rule.", DefaultValueFactory = _ => Defaults.MaxK };
    private readonly Option<int> _versionEvery = new("--version-every") { Description = "New basis version every N absorbed models (0 = only at the end).", DefaultValueFactory = _ => Defaults.VersionEvery };
    private readonly Option<string> _mode = new("--mode") { Description = "Sketch mode: rows, columns or flattened.", DefaultValueFactory = _ => Defaults.Mode };
    private readonly Option<bool> _centred = new("--centred") { Description = "Subtract the fleet mean before computing the basis." };
    private readonly Option<int> _parallelism = new("--parallelism") { Description = "Models submitted at once.", DefaultValueFactory = _ => Defaults.Parallelism };
    private readonly ClusterConnectionCliOptions _cluster = new();
    private readonly CliContext _context;

    /// <summary>Creates the verb writing to <paramref name="context"/>.</summary>
    public RunCommand(CliContext context)
        : base("run", "Generate (or take) a fleet, ingest it into an embedded silo, print per-layer bases and convergence, write bases/CSV/PNG.")
    {
        _context = context;
        foreach (var option in new Option[] { _fleet, _models, _layers, _preset, _noise, _seed, _out, _k, _tau, _maxK, _versionEvery, _mode, _centred, _parallelism })
        {
            Options.Add(option);
        }

        _cluster.AddTo(this);
        SetAction(ExecuteAsync);
    }

    /// <summary>Binds and validates the options of <paramref name="parseResult"/>.</summary>
    /// <exception cref="UsageException">Every bad option, named.</exception>
    public RunOptions Bind(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new RunOptionsValidator().ValidateOrThrow(new RunOptions
        {
            Fleet = parseResult.GetValue(_fleet),
            Models = parseResult.GetValue(_models),
            Layers = parseResult.GetValue(_layers),
            Preset = parseResult.GetValue(_preset) ?? Defaults.Preset,
            Noise = parseResult.GetValue(_noise),
            Seed = parseResult.GetValue(_seed),
            Output = parseResult.GetValue(_out) ?? Defaults.Output,
            K = parseResult.GetValue(_k),
            Tau = parseResult.GetValue(_tau),
            MaxK = parseResult.GetValue(_maxK),
            VersionEvery = parseResult.GetValue(_versionEvery),
            Mode = parseResult.GetValue(_mode) ?? Defaults.Mode,
            Centred = parseResult.GetValue(_centred),
            Parallelism = parseResult.GetValue(_parallelism),
        });
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var (options, connection) = OptionsValidation.BindBoth(() => Bind(parseResult), () => _cluster.Bind(parseResult));
        var result = await RunJob.ExecuteAsync(options, connection, _context, cancellationToken).ConfigureAwait(false);
        return result.Ingest.Rejected.Count > 0 || result.Skipped.Count > 0 ? ExitCodes.ModelsNotAbsorbed : ExitCodes.Success;
    }
}
