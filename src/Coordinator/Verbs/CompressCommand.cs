using System.CommandLine;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Coordinator.Output;
using OrleansUws.Coordinator.ModelTools;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Compression;
using Spectre.Console;

namespace OrleansUws.Coordinator.Verbs;

/// <summary><c>uws compress</c>: one coefficient file per model against a folder of bases, with an honest byte count.</summary>
public sealed class CompressCommand : Command
{
    private static readonly CompressVerbOptions Defaults = new();

    private readonly Argument<string[]> _models = new("models") { Description = "Adapter folders, checkpoint folders or .safetensors files, or fleet folders holding them.", Arity = ArgumentArity.OneOrMore };
    private readonly Option<string> _bases = new("--bases") { Description = "Folder of basis files ({layer}.{mode}.safetensors, as uws run and uws basis export write them), or 'cluster': the current bases of --fleet-id on the cluster at --gateway/--redis.", Required = true };
    private readonly Option<string> _form = new("--form") { Description = $"Coefficient form: {string.Join(", ", CoefficientForms.Names)}.", DefaultValueFactory = _ => Defaults.Form };
    private readonly Option<int?> _k = new("--k") { Description = "Leading vectors used of each basis (default: all of them)." };
    private readonly Option<string> _out = new("--out", "-o") { Description = "Folder the coefficient files ({model}.coefficients.safetensors) are written to.", Required = true };
    private readonly ClusterConnectionCliOptions _cluster = new();
    private readonly CliContext _context;

    /// <summary>Creates the verb writing to <paramref name="context"/>.</summary>
    public CompressCommand(CliContext context)
        : base("compress", "Compress models to coefficient files against per-layer bases; report reconstruction error, the mean-only baseline and bytes.")
    {
        _context = context;
        Arguments.Add(_models);
        foreach (var option in new Option[] { _bases, _form, _k, _out })
        {
            Options.Add(option);
        }

        _cluster.AddTo(this);
        SetAction(ExecuteAsync);
    }

    /// <summary>Binds and validates the options of <paramref name="parseResult"/>.</summary>
    /// <exception cref="UsageException">Every bad option, named.</exception>
    public CompressVerbOptions Bind(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new CompressVerbOptionsValidator().ValidateOrThrow(new CompressVerbOptions
        {
            Models = parseResult.GetValue(_models) ?? [],
            Bases = parseResult.GetValue(_bases) ?? string.Empty,
            Form = parseResult.GetValue(_form) ?? Defaults.Form,
            K = parseResult.GetValue(_k),
            Output = parseResult.GetValue(_out) ?? string.Empty,
        });
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var options = Bind(parseResult);
        CoefficientForms.TryParse(options.Form.ToLowerInvariant(), out var form);
        var bases = await BasesSource.LoadAsync(options.Bases, parseResult, _cluster, cancellationToken).ConfigureAwait(false);
        // Coefficient files are named by model id: a second model of the same id is skipped, and said so.
        var scan = ModelDiscovery.Scan(options.Models);
        IngestConsole.ReportSkipped(scan.Skipped, _context.Console);
        var models = scan.Models;
        if (models.Count == 0)
        {
            throw new UsageException($"MODEL: no models found under {string.Join(", ", options.Models)}");
        }

        using var numerics = LocalNumerics.Create();
        var run = new SubspaceCompressor(numerics.Backend).Compress(models.Select(m => m.Location).ToArray(), bases, new CompressOptions(form) { K = options.K }, options.Output);
        var console = _context.Console;
        var used = run.Coefficients[0].Layers.SelectMany(l => l.Bases.Select(b => bases.Get(l.Layer, b.Mode))).Distinct();
        foreach (var warning in SubspaceTables.NullWarnings(used))
        {
            console.MarkupLine(Markup.Escape(warning));
        }

        console.Write(SubspaceTables.Layers(run, form));
        console.Write(SubspaceTables.Models(run));
        foreach (var line in SubspaceTables.FleetLines(run.Fleet, form))
        {
            console.MarkupLine(Markup.Escape(line));
        }

        console.MarkupLineInterpolated($"wrote {run.Models.Count} coefficient files ({CoefficientForms.Name(form)}, fleet '{bases.Fleet}') to {Path.GetFullPath(options.Output)}");
        return ExitCodes.Success;
    }
}
