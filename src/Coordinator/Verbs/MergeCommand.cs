using System.CommandLine;
using System.Globalization;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Coordinator.ModelTools;
using OrleansUws.Coordinator.Output;
using OrleansUws.ModelFormats;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Merging;
using OrleansUws.Subspace.Reconstruction;
using Spectre.Console;

namespace OrleansUws.Coordinator.Verbs;

/// <summary><c>uws merge</c>: merges models into one adapter (or dense delta) by mean, task arithmetic, TIES, DARE or in coefficient space.</summary>
public sealed class MergeCommand : Command
{
    private static readonly MergeVerbOptions Defaults = new();

    private readonly Argument<string[]> _models = new("models") { Description = "Adapter folders, checkpoint folders or .safetensors files, or fleet folders holding them.", Arity = ArgumentArity.OneOrMore };
    private readonly Option<string> _method = new("--method") { Description = $"Merge method: {string.Join(", ", MergeMethods.Names)}.", DefaultValueFactory = _ => Defaults.Method };
    private readonly Option<double> _lambda = new("--lambda") { Description = "λ: scale of the merged task vector (task-arithmetic, ties, dare).", DefaultValueFactory = _ => Defaults.Lambda };
    private readonly Option<double> _density = new("--density") { Description = "TIES: share of each task vector's entries kept by magnitude, in (0, 1].", DefaultValueFactory = _ => Defaults.Density };
    private readonly Option<double> _dropRate = new("--drop-rate") { Description = "DARE: drop probability p in [0, 1).", DefaultValueFactory = _ => Defaults.DropRate };
    private readonly Option<ulong> _seed = new("--seed") { Description = "DARE: seed of the drop masks.", DefaultValueFactory = _ => Defaults.Seed };
    private readonly Option<string?> _bases = new("--bases") { Description = "Subspace: folder of basis files, or 'cluster' (--gateway/--redis)." };
    private readonly Option<string> _form = new("--form") { Description = $"Subspace: coefficient form ({string.Join(", ", CoefficientForms.Names)}).", DefaultValueFactory = _ => Defaults.Form };
    private readonly Option<int?> _k = new("--k") { Description = "Subspace: leading vectors used of each basis (default: all)." };
    private readonly Option<int?> _maxRank = new("--max-rank") { Description = "Cap on the LoRA rank written (dense merges are factorised by SVD; the truncation error is reported)." };
    private readonly Option<bool> _dense = new("--dense") { Description = "Write a dense delta checkpoint (--out is then a .safetensors file)." };
    private readonly Option<string> _out = new("--out", "-o") { Description = "Adapter folder to write (a .safetensors file with --dense).", Required = true };
    private readonly ClusterConnectionCliOptions _cluster = new();
    private readonly CliContext _context;

    /// <summary>Creates the verb writing to <paramref name="context"/>.</summary>
    public MergeCommand(CliContext context)
        : base("merge", "Merge models into one adapter: mean, task-arithmetic (λ), ties (density, λ), dare (drop rate, seed, λ) or subspace (coefficient space).")
    {
        _context = context;
        Arguments.Add(_models);
        foreach (var option in new Option[] { _method, _lambda, _density, _dropRate, _seed, _bases, _form, _k, _maxRank, _dense, _out })
        {
            Options.Add(option);
        }

        _cluster.AddTo(this);
        SetAction(ExecuteAsync);
    }

    /// <summary>Binds and validates the options of <paramref name="parseResult"/>.</summary>
    /// <exception cref="UsageException">Every bad option, named.</exception>
    public MergeVerbOptions Bind(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new MergeVerbOptionsValidator().ValidateOrThrow(new MergeVerbOptions
        {
            Models = parseResult.GetValue(_models) ?? [],
            Method = parseResult.GetValue(_method) ?? Defaults.Method,
            Lambda = parseResult.GetValue(_lambda),
            Density = parseResult.GetValue(_density),
            DropRate = parseResult.GetValue(_dropRate),
            Seed = parseResult.GetValue(_seed),
            Bases = parseResult.GetValue(_bases),
            Form = parseResult.GetValue(_form) ?? Defaults.Form,
            K = parseResult.GetValue(_k),
            MaxRank = parseResult.GetValue(_maxRank),
            Dense = parseResult.GetValue(_dense),
            Output = parseResult.GetValue(_out) ?? string.Empty,
        });
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var options = Bind(parseResult);
        MergeMethods.TryParse(options.Method.ToLowerInvariant(), out var method);
        CoefficientForms.TryParse(options.Form.ToLowerInvariant(), out var form);
        // Every file given is merged, also two with the same name (checkpoint-500 of two runs); entries that are not
        // models are reported, not silently dropped.
        var scan = ModelDiscovery.Scan(options.Models, distinctIds: false);
        IngestConsole.ReportSkipped(scan.Skipped, _context.Console);
        var models = scan.Models;
        if (models.Count < 2)
        {
            throw new UsageException($"MODEL: a merge needs at least two models; found {models.Count} under {string.Join(", ", options.Models)}");
        }

        var mergeOptions = new MergeOptions(method)
        {
            Lambda = options.Lambda,
            Density = options.Density,
            DropRate = options.DropRate,
            Seed = options.Seed,
            Bases = options.Bases is { } source ? await BasesSource.LoadAsync(source, parseResult, _cluster, cancellationToken).ConfigureAwait(false) : null,
            Form = form,
            K = options.K,
        };
        var readers = new List<IModelReader>();
        try
        {
            foreach (var model in models)
            {
                readers.Add(ModelReader.Open(model.Location));
            }

            using var numerics = LocalNumerics.Create();
            var result = new ModelMerger(numerics.Backend).Merge(readers, mergeOptions);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["uws.merge_method"] = MergeMethods.Name(method),
                ["uws.merged_models"] = string.Join(",", models.Select(m => m.ModelId)),
            };
            var console = _context.Console;
            if (options.Dense)
            {
                AdapterOutput.WriteDense(options.Output, result.Layers, numerics.Backend, metadata);
            }
            else
            {
                var truncation = AdapterOutput.WritePeft(options.Output, result.Layers, numerics.Backend, options.MaxRank, metadata);
                foreach (var (layer, error) in truncation.Where(t => t.Value > 1e-6))
                {
                    console.MarkupLineInterpolated($"{layer}: written at rank {options.MaxRank}; truncation error {error.ToString("P2", CultureInfo.InvariantCulture)}");
                }
            }

            foreach (var note in result.Notes)
            {
                console.MarkupLine(Markup.Escape(note));
            }

            console.MarkupLineInterpolated(
                $"merged {models.Count} models ({MergeMethods.Name(method)}) × {result.Layers.Count} layers into {Path.GetFullPath(options.Output)}{(options.Dense ? " (dense delta)" : " (PEFT adapter)")}");
            return ExitCodes.Success;
        }
        finally
        {
            foreach (var reader in readers)
            {
                reader.Dispose();
            }
        }
    }
}
