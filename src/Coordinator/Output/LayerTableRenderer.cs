using System.Globalization;
using OrleansUws.Coordinator.Reports;
using OrleansUws.Grains.Interfaces;
using Spectre.Console;

namespace OrleansUws.Coordinator.Output;

/// <summary>
/// Renders the per-layer summary table: T, k, explained energy, FD certificate, sin θ to the planted truth, the
/// Marchenko–Pastur null's energy for the same shape (flagged when the basis is within noise of it), the share of
/// energy in the mean, the held-out capture (running average of the share of each new model's energy the basis captured
/// before absorbing it, measured while streaming), the gap-robust distances to the previous version (energy-weighted
/// distance; sin θ over the leading directions up to the largest gap of σ), and the convergence trail (sin θ between
/// successive versions as T grew).
/// </summary>
public static class LayerTableRenderer
{
    /// <summary>How many of the most recent versions the convergence column shows.</summary>
    public const int TrailLength = 3;

    /// <summary>Builds the table for <paramref name="layers"/>.</summary>
    public static Table Build(IEnumerable<LayerReport> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var table = new Table()
            .Border(TableBorder.Rounded)
            .AddColumn(new TableColumn("layer").NoWrap())
            .AddColumn("mode")
            .AddColumn(new TableColumn("T").RightAligned())
            .AddColumn(new TableColumn("k").RightAligned())
            .AddColumn(new TableColumn("energy").RightAligned())
            .AddColumn(new TableColumn("certificate").RightAligned())
            .AddColumn(new TableColumn("sin θ truth").RightAligned().NoWrap())
            .AddColumn(new TableColumn("MP null").RightAligned().NoWrap())
            .AddColumn(new TableColumn("mean share").RightAligned().NoWrap())
            .AddColumn(new TableColumn("held-out").RightAligned().NoWrap())
            .AddColumn(new TableColumn("distance (sin θ≤gap)").RightAligned().NoWrap())
            .AddColumn("sin θ to previous version, as T grew (T: sin θ)");
        foreach (var layer in layers)
        {
            var latest = layer.Latest;
            table.AddRow(
                Markup.Escape(layer.Layer),
                Markup.Escape(latest.Centered ? $"{layer.ModeName}, centred" : layer.ModeName),
                latest.ModelCount.ToString(CultureInfo.InvariantCulture),
                latest.RankCapped ? $"{latest.Rank} (cap)" : latest.Rank.ToString(CultureInfo.InvariantCulture),
                latest.ExplainedEnergy.ToString("P1", CultureInfo.InvariantCulture),
                latest.Certificate.ToString("G3", CultureInfo.InvariantCulture),
                layer.SinThetaToTruth is { } truth ? truth.ToString("0.00e+00", CultureInfo.InvariantCulture) : "–",
                Markup.Escape(NullText(layer.Diagnostics)),
                layer.Diagnostics?.MeanEnergyShare is { } share ? share.ToString("P1", CultureInfo.InvariantCulture) : "–",
                HeldOutText(latest),
                DistanceText(latest),
                Markup.Escape(Trail(layer.History)));
        }

        return table;
    }

    /// <summary>
    /// The Marchenko–Pastur null's share of energy in the top k for the layer's shape, e.g. <c>17.3 %</c>, marked
    /// <c>⚠ noise</c> when the basis's energy is within noise of it; "–" when not known.
    /// </summary>
    public static string NullText(OrleansUws.Subspace.Diagnostics.BasisDiagnostics? diagnostics) =>
        diagnostics is null ? "–"
        : diagnostics.NullExplainedEnergy.ToString("P1", CultureInfo.InvariantCulture) + (diagnostics.WithinNoise ? " ⚠ noise" : string.Empty);

    /// <summary>
    /// The held-out capture of <paramref name="version"/>: the running average share and the models behind it, e.g.
    /// <c>97.2 % (30)</c>; "–" before any model met a basis.
    /// </summary>
    public static string HeldOutText(BasisVersionInfo version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return version.HeldOut is { MeanShare: { } mean } heldOut
            ? string.Create(CultureInfo.InvariantCulture, $"{mean:P1} ({heldOut.Models})")
            : "–";
    }

    /// <summary>
    /// The energy-weighted distance to the previous version with sin θ over the leading directions up to the largest
    /// gap, e.g. <c>1.2e-02 (3: 4.0e-02)</c>; "–" for a first version.
    /// </summary>
    public static string DistanceText(BasisVersionInfo version)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (version.EnergyDistanceToPrevious is not { } distance)
        {
            return "–";
        }

        return version.SinThetaUpToGap is { } sin && version.GapDirections is { } j
            ? string.Create(CultureInfo.InvariantCulture, $"{distance:0.0e+00} ({j}: {sin:0.0e+00})")
            : distance.ToString("0.0e+00", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The convergence trail of the last <see cref="TrailLength"/> versions, e.g. <c>50: 3.1e-01 → 100: 8.0e-02</c>;
    /// "–" when no version has a predecessor yet.
    /// </summary>
    public static string Trail(IReadOnlyList<BasisVersionInfo> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        var parts = history
            .Where(p => p.SinThetaToPrevious.HasValue)
            .TakeLast(TrailLength)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.ModelCount}: {p.SinThetaToPrevious!.Value:0.0e+00}"))
            .ToArray();
        return parts.Length == 0 ? "–" : string.Join(" → ", parts);
    }
}
