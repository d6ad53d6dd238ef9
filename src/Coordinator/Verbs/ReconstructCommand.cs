using System.CommandLine;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.ModelTools;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Reconstruction;
using Spectre.Console;

namespace OrleansUws.Coordinator.Verbs;

/// <summary><c>uws reconstruct</c>: coefficient files back to PEFT adapters (a rank-k reconstruction is a LoRA) or dense deltas.</summary>
public sealed class ReconstructCommand : Command
{
    private const string Suffix = ".coefficients.safetensors";

    private readonly Argument<string[]> _coefficients = new("coefficients") { Description = "Coefficient files, or folders holding *.coefficients.safetensors.", Arity = ArgumentArity.OneOrMore };
    private readonly Option<string> _bases = new("--bases") { Description = "Folder of basis files, or 'cluster' (--gateway/--redis): the very versions the coefficients name (others are refused).", Required = true };
    private readonly Option<string> _out = new("--out", "-o") { Description = "Folder the models are written to: {model}/ (PEFT) or {model}.safetensors (--dense).", Required = true };
    private readonly Option<bool> _dense = new("--dense") { Description = "Write dense delta checkpoints (<module>.weight, m×n) instead of PEFT adapters." };
    private readonly ClusterConnectionCliOptions _cluster = new();
    private readonly CliContext _context;

    /// <summary>Creates the verb writing to <paramref name="context"/>.</summary>
    public ReconstructCommand(CliContext context)
        : base("reconstruct", "Reconstruct models from coefficient files and their bases, as PEFT adapters or dense delta checkpoints.")
    {
        _context = context;
        Arguments.Add(_coefficients);
        Options.Add(_bases);
        Options.Add(_out);
        Options.Add(_dense);
        _cluster.AddTo(this);
        SetAction(ExecuteAsync);
    }

    /// <summary>Binds and validates the options of <paramref name="parseResult"/>.</summary>
    /// <exception cref="UsageException">Every bad option, named.</exception>
    public ReconstructVerbOptions Bind(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new ReconstructVerbOptionsValidator().ValidateOrThrow(new ReconstructVerbOptions
        {
            Coefficients = parseResult.GetValue(_coefficients) ?? [],
            Bases = parseResult.GetValue(_bases) ?? string.Empty,
            Output = parseResult.GetValue(_out) ?? string.Empty,
            Dense = parseResult.GetValue(_dense),
        });
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var options = Bind(parseResult);
        var files = options.Coefficients
            .SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*" + Suffix).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p])
            .ToArray();
        if (files.Length == 0)
        {
            throw new UsageException($"COEFFS: no *{Suffix} files under {string.Join(", ", options.Coefficients)}");
        }

        var bases = await BasesSource.LoadAsync(options.Bases, parseResult, _cluster, cancellationToken).ConfigureAwait(false);
        using var numerics = LocalNumerics.Create();
        var reconstructor = new SubspaceReconstructor(numerics.Backend);
        var table = new Table().Border(TableBorder.Rounded).AddColumn("model").AddColumn("form").AddColumn(new TableColumn("layers").RightAligned()).AddColumn("written");
        foreach (var file in files)
        {
            var coefficients = CoefficientFile.Read(file);
            var layers = reconstructor.Reconstruct(coefficients, bases, file);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["uws.reconstructed_from"] = Path.GetFileName(file),
                ["uws.fleet"] = coefficients.Fleet,
                ["uws.form"] = OrleansUws.Subspace.CoefficientForms.Name(coefficients.Form),
            };
            string target;
            if (options.Dense)
            {
                target = Path.Combine(options.Output, coefficients.Model + ".safetensors");
                AdapterOutput.WriteDense(target, layers, numerics.Backend, metadata);
            }
            else
            {
                target = Path.Combine(options.Output, coefficients.Model);
                AdapterOutput.WritePeft(target, layers, numerics.Backend, metadata: metadata);
            }

            table.AddRow(Markup.Escape(coefficients.Model), OrleansUws.Subspace.CoefficientForms.Name(coefficients.Form), layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(Path.GetFullPath(target)));
        }

        _context.Console.Write(table);
        _context.Console.MarkupLineInterpolated($"reconstructed {files.Length} models against the bases of fleet '{bases.Fleet}' as {(options.Dense ? "dense delta checkpoints" : "PEFT adapters")}");
        return ExitCodes.Success;
    }
}
