using System.Globalization;
using System.Text;
using OrleansUws.TrainedFleet.Fleet;

namespace OrleansUws.TrainedFleet.Evaluation;

/// <summary>Renders the evaluation as Markdown (<see cref="FileName"/>) and the per-adapter figures as CSV.</summary>
public static class ReportWriter
{
    /// <summary>The Markdown report inside the output folder.</summary>
    public const string FileName = "results.md";

    /// <summary>The per-adapter CSV inside the output folder.</summary>
    public const string AdapterCsvFileName = "adapters.csv";

    /// <summary>The per-layer diagnostics for every k inside the output folder.</summary>
    public const string DiagnosticsCsvFileName = "diagnostics.csv";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The Markdown report.</summary>
    public static string Write(BenchOptions options, double baseAccuracy, IReadOnlyList<TrainedAdapter> adapters, EvaluationResult result, RunTimings timings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(timings);
        FleetSettings fleet = options.Fleet;
        int[] heldOut = [.. Enumerable.Range(0, adapters.Count).Where(i => !adapters[i].InSample)];
        int[] inSample = [.. Enumerable.Range(0, adapters.Count).Where(i => adapters[i].InSample)];
        MethodScores baseline = result.Methods.Single(m => m.Method == "base");
        MethodScores adapter = result.Methods.Single(m => m.Method == "adapter");
        double heldOutBase = heldOut.Average(i => baseline.Accuracy[i]), heldOutAdapter = heldOut.Average(i => adapter.Accuracy[i]);

        var text = new StringBuilder();
        text.AppendLine(Invariant, $"### Trained fleet: {fleet.InSampleAdapters} in-sample + {fleet.HeldOutAdapters} held-out LoRA adapters");
        text.AppendLine();
        text.AppendLine(Invariant,
            $"Base MLP {string.Join('→', fleet.LayerSizes)} (ReLU) trained on the UCI digits: test accuracy {Pct(baseAccuracy)}. One LoRA adapter per task (r = {fleet.Rank}, α = {fleet.Alpha.ToString(Invariant)}, all {fleet.LayerNames.Count} layers, F32), " +
            $"tasks = {fleet.Tasks.PatchSwaps} swapped {fleet.Tasks.PatchSize}×{fleet.Tasks.PatchSize} patch pairs + contrast ×U[{fleet.Tasks.MinContrast.ToString(Invariant)}, {fleet.Tasks.MaxContrast.ToString(Invariant)}] + {fleet.Tasks.LabelSwaps} swapped label pair. Seed {fleet.Seed}. " +
            $"Bases fitted on the in-sample adapters only (exact Gram): rows and columns uncentred, flattened centred. Accuracy is the mean over tasks of each task's test accuracy ({options.Fleet.TestImages} images per task). " +
            $"\"Gap closed\" = (accuracy − base) / (adapter − base) on the held-out tasks. Bytes are F32 tensor bytes; bases are stored once and amortised over the {result.StoredModels} models.");
        text.AppendLine();
        text.AppendLine("| method | k | held-out accuracy | gap closed | in-sample accuracy | rel. error ‖ΔW−ΔŴ‖/‖ΔW‖ (held-out) | coefficients B/model | bases B (once) | stored B/model | vs LoRA factors |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (MethodScores m in result.Methods)
        {
            double held = heldOut.Average(i => m.Accuracy[i]);
            double stored = m.Method switch
            {
                "adapter" => result.LoraBytesPerModel,
                "base" => 0,
                _ => m.CoefficientBytes + (m.BasisBytes / result.StoredModels),
            };
            string label = m.Method switch
            {
                "base" => "base model (no adapter)",
                "adapter" => "adapter (LoRA factors as trained)",
                "mean adapter" => "mean of the in-sample adapters",
                _ => m.Method,
            };
            text.AppendLine(Invariant,
                $"| {label} | {(m.K is { } k ? k.ToString(Invariant) : "–")} | {Pct(held)} | {Pct((held - heldOutBase) / (heldOutAdapter - heldOutBase))} | {Pct(inSample.Average(i => m.Accuracy[i]))} | " +
                $"{(m.RelativeError is { } e ? heldOut.Average(i => e[i]).ToString("F3", Invariant) : "–")} | {Bytes(m.Method == "adapter" ? result.LoraBytesPerModel : m.CoefficientBytes)} | {Bytes(m.BasisBytes)} | {Bytes(stored)} | " +
                $"{(m.Method == "base" ? "–" : Ratio(result.LoraBytesPerModel / stored))} |");
        }

        text.AppendLine();
        text.AppendLine(Invariant,
            $"One adapter's LoRA factors: {Bytes(result.LoraBytesPerModel)} (weights file {Bytes(result.LoraFileBytesPerModel)}); its dense ΔW: {Bytes(result.DenseBytesPerModel)}. \"vs LoRA factors\" > 1× means the form stores less than the adapters themselves; < 1× means it stores more.");
        string peft = string.Join(", ", result.ReconstructedPeftCheck.Select(p => $"{p.Key} {Pct(p.Value)}"));
        text.AppendLine(Invariant, $"Reconstructions written as PEFT adapters (k = {result.HeadlineK}, held-out) and read back through the PEFT reader: {peft}.");
        text.AppendLine();

        string[] layers = [.. result.Ablations.Select(a => a.Layer).Distinct()];
        text.AppendLine(Invariant, $"#### Which layer's projection costs accuracy (k = {result.HeadlineK}, held-out; one layer projected, the others as trained)");
        text.AppendLine();
        text.AppendLine($"| form | {string.Join(" | ", layers.Select(l => $"only {l} projected"))} | all layers projected |");
        text.AppendLine($"|---|{string.Concat(layers.Select(_ => "---:|"))}---:|");
        foreach (var group in result.Ablations.GroupBy(a => a.Form))
        {
            MethodScores all = result.Methods.Single(m => m.Method == group.Key && m.K == result.HeadlineK);
            text.AppendLine($"| {group.Key} | {string.Join(" | ", layers.Select(l => Pct(group.Single(a => a.Layer == l).HeldOutAccuracy)))} | {Pct(heldOut.Average(i => all.Accuracy[i]))} |");
        }

        text.AppendLine();
        text.AppendLine(Invariant, $"#### Where the shared structure is (k = {result.HeadlineK}; every k in {DiagnosticsCsvFileName})");
        text.AppendLine();
        text.AppendLine("Held-out capture = 1 − ‖ΔW − ΔŴ‖²/‖ΔW‖² for a held-out adapter (mean), through the in-sample basis; flattened is centred, so its capture can be negative when the mean points away from a new task.");
        text.AppendLine();
        text.AppendLine("| layer | mode | d | in-sample energy | Marchenko–Pastur null | held-out capture | random k-subspace | directions above MP edge |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (LayerDiagnostics d in result.Diagnostics.Where(d => d.K == result.HeadlineK))
        {
            text.AppendLine(Invariant,
                $"| {d.Layer} | {d.Mode} | {d.Dimension} | {Pct(d.InSampleEnergy)} | {(d.NullEnergy is { } n ? Pct(n) : "–")} | {Pct(d.HeldOutCapture)} | {Pct(d.RandomCapture)} | {(d.DirectionsAboveEdge is { } a ? a.ToString(Invariant) : "–")} |");
        }

        text.AppendLine();
        text.AppendLine(Invariant,
            $"LoRA training moved A by ‖A − A₀‖/‖A₀‖ = {adapters.Average(a => a.AMovement):F2} on average (min {adapters.Min(a => a.AMovement):F2}, max {adapters.Max(a => a.AMovement):F2}); B started at zero.");
        text.AppendLine();
        text.AppendLine(Invariant,
            $"Time: base {timings.Base.TotalSeconds:F1} s, {adapters.Count} adapters {timings.Adapters.TotalSeconds:F1} s, evaluation {timings.Evaluation.TotalSeconds:F1} s, total {timings.Total.TotalSeconds:F1} s " +
            $"({timings.Threads} threads, BLAS backend {timings.Backend}, {Environment.ProcessorCount} logical CPUs).");
        return text.ToString();
    }

    /// <summary>One line per adapter: its task, in-sample or held-out, and the accuracy of every method.</summary>
    public static void WriteAdapterCsv(string path, IReadOnlyList<TrainedAdapter> adapters, EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        text.Append("adapter,in_sample,task,a_movement");
        foreach (MethodScores m in result.Methods)
        {
            text.Append(Invariant, $",{m.Method.Replace(' ', '_')}{(m.K is { } k ? $"_k{k}" : string.Empty)}");
        }

        text.AppendLine();
        for (int i = 0; i < adapters.Count; i++)
        {
            text.Append(Invariant, $"{adapters[i].Name},{adapters[i].InSample},\"{adapters[i].Task.Description}\",{adapters[i].AMovement:F4}");
            foreach (MethodScores m in result.Methods)
            {
                text.Append(Invariant, $",{m.Accuracy[i]:F4}");
            }

            text.AppendLine();
        }

        File.WriteAllText(path, text.ToString());
    }

    /// <summary>The diagnostics of every layer, mode and k.</summary>
    public static void WriteDiagnosticsCsv(string path, EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder("layer,mode,dimension,k,in_sample_energy,null_energy,held_out_capture,random_capture,directions_above_edge\n");
        foreach (LayerDiagnostics d in result.Diagnostics)
        {
            text.AppendLine(Invariant, $"{d.Layer},{d.Mode},{d.Dimension},{d.K},{d.InSampleEnergy:F5},{d.NullEnergy:F5},{d.HeldOutCapture:F5},{d.RandomCapture:F5},{d.DirectionsAboveEdge}");
        }

        File.WriteAllText(path, text.ToString());
    }

    private static string Pct(double value) => double.IsFinite(value) ? (100 * value).ToString("F1", Invariant) + " %" : "–";

    private static string Bytes(double value) => Math.Round(value).ToString("N0", Invariant);

    private static string Ratio(double value) => value.ToString(value >= 10 ? "F0" : "F2", Invariant) + "×";
}
