using System.Globalization;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Compression;
using Spectre.Console;

namespace OrleansUws.Coordinator.Output;

/// <summary>Tables and lines printed by <c>uws compress</c>, <c>reconstruct</c> and <c>merge</c>.</summary>
public static class SubspaceTables
{
    /// <summary>Most models listed one per row; above it the per-model table is summarised.</summary>
    public const int ModelRows = 20;

    /// <summary>Per layer, averaged over the models: error beside the mean-only baseline, and bytes.</summary>
    public static Table Layers(CompressionRun run, CoefficientForm form)
    {
        ArgumentNullException.ThrowIfNull(run);
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn(new TableColumn("layer").NoWrap())
            .AddColumn("form")
            .AddColumn(new TableColumn("k").RightAligned())
            .AddColumn(new TableColumn("rel. error").RightAligned())
            .AddColumn(new TableColumn("mean-only").RightAligned())
            .AddColumn(new TableColumn("input B").RightAligned())
            .AddColumn(new TableColumn("coeff. B").RightAligned())
            .AddColumn(new TableColumn("ratio").RightAligned());
        var first = run.Coefficients[0];
        foreach (var layer in first.Layers)
        {
            var reports = run.Models.Select(m => m.Layers.Single(l => l.Layer == layer.Layer)).ToArray();
            var baselines = reports.Where(r => r.MeanBaselineError.HasValue).Select(r => r.MeanBaselineError!.Value).ToArray();
            long input = reports.Sum(r => r.InputBytes) / reports.Length;
            long coefficients = reports[0].CoefficientBytes;
            table.AddRow(
                Markup.Escape(layer.Layer),
                CoefficientForms.Name(form),
                string.Join("×", layer.Bases.Select(b => b.K.ToString(CultureInfo.InvariantCulture))),
                reports.Average(r => r.RelativeError).ToString("P2", CultureInfo.InvariantCulture),
                baselines.Length > 0 ? baselines.Average().ToString("P2", CultureInfo.InvariantCulture) : "–",
                Bytes(input),
                Bytes(coefficients),
                Ratio((double)input / coefficients));
        }

        return table;
    }

    /// <summary>Per model: analysed layers and whole files, against what they cost as stored.</summary>
    public static Table Models(CompressionRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn(new TableColumn("model").NoWrap())
            .AddColumn(new TableColumn("analysed input").RightAligned())
            .AddColumn(new TableColumn("coefficients").RightAligned())
            .AddColumn(new TableColumn("ratio").RightAligned())
            .AddColumn(new TableColumn("whole file").RightAligned())
            .AddColumn(new TableColumn("stored").RightAligned())
            .AddColumn(new TableColumn("ratio").RightAligned())
            .AddColumn("note");
        foreach (var m in run.Models.Take(ModelRows))
        {
            table.AddRow(
                Markup.Escape(m.Model),
                Bytes(m.AnalysedInputBytes),
                Bytes(m.AnalysedCoefficientBytes),
                Ratio(m.AnalysedRatio),
                Bytes(m.WholeInputBytes),
                Bytes(m.WholeCoefficientBytes),
                Ratio(m.WholeRatio),
                m.StoresMoreThanInput ? "stores MORE than the input" : string.Empty);
        }

        if (run.Models.Count > ModelRows)
        {
            table.AddRow($"… {run.Models.Count - ModelRows} more", string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty);
        }

        return table;
    }

    /// <summary>The fleet's accounting in words: bases once plus N coefficient files, against the N models as stored.</summary>
    public static IReadOnlyList<string> FleetLines(FleetCompressionReport fleet, CoefficientForm form)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture,
                $"fleet of {fleet.Models}: bases {Bytes(fleet.BasisBytes)} once + coefficients {Bytes(fleet.CoefficientBytes)} against {Bytes(fleet.InputBytes)} as stored (analysed layers): ratio {Ratio(fleet.Ratio)}"),
            string.Create(CultureInfo.InvariantCulture,
                $"whole files: bases + coefficient files + layers not analysed {Bytes(fleet.BasisBytes + fleet.WholeCoefficientBytes)} against {Bytes(fleet.WholeInputBytes)}: ratio {Ratio(fleet.WholeRatio)}"),
        };
        if (fleet.StoresMoreThanInput)
        {
            lines.Add($"the {CoefficientForms.Name(form)} form stores MORE than the input for this fleet: keep the models as they are, or use a smaller k or another form");
        }

        return lines;
    }

    /// <summary>One warning per basis whose top-k energy is within noise of the Marchenko–Pastur null.</summary>
    public static IReadOnlyList<string> NullWarnings(IEnumerable<LayerBasisFile> bases)
    {
        ArgumentNullException.ThrowIfNull(bases);
        return bases
            .Where(b => b.Diagnostics is { WithinNoise: true })
            .Select(b => string.Create(CultureInfo.InvariantCulture,
                $"warning: {b.Header.Layer} ({BasisModes.Name(b.Header.Mode)}): top-{b.Rank} energy {b.Diagnostics!.ExplainedEnergy:P1} is within noise of the Marchenko–Pastur null {b.Diagnostics.NullExplainedEnergy:P1} ({b.Diagnostics.DirectionsAboveEdge} directions above the noise edge): this basis may be noise"))
            .ToArray();
    }

    /// <summary>Bytes as text: B, KiB, MiB or GiB with three significant digits.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:G3} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):G3} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):G3} GiB"),
    };

    /// <summary>A compression ratio: "3.20×", or "0.80× (larger)" when the result is larger than the input.</summary>
    public static string Ratio(double ratio)
    {
        var text = ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×";
        return ratio >= 1 || double.IsNaN(ratio) ? text : text + " (larger)";
    }
}
