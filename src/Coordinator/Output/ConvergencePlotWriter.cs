using System.Globalization;
using OrleansUws.Coordinator.Reports;
using ScottPlot;

namespace OrleansUws.Coordinator.Output;

/// <summary>
/// Draws the convergence plot: sin θ between successive basis versions against the model count T, on log-log axes,
/// readable for any number of layers: the median over the layers (bold), the band between their quartiles and the
/// band between the best and the worst layer, and the <see cref="ConvergenceSummary.DefaultWorst"/> layers worst at the
/// end drawn on their own and labelled (<see cref="ConvergenceSummary"/>). Versions without a predecessor, and
/// distances of exactly 0, have no logarithm and are left out.
/// </summary>
public static class ConvergencePlotWriter
{
    /// <summary>Default image width in pixels.</summary>
    public const int DefaultWidth = 1000;

    /// <summary>Default image height in pixels.</summary>
    public const int DefaultHeight = 650;

    private static readonly Color MedianColor = Color.FromHex("#1f4e79");
    private static readonly Color[] WorstColors = [Color.FromHex("#c0392b"), Color.FromHex("#d35400"), Color.FromHex("#8e44ad")];

    /// <summary>Saves the plot of <paramref name="layers"/> as a PNG file at <paramref name="path"/>.</summary>
    /// <returns>The number of (layer, version) points summarised.</returns>
    public static int WritePng(string path, IReadOnlyList<LayerReport> layers, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 100);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 100);

        var summary = ConvergenceSummary.Compute(layers);
        var plot = new Plot();
        if (summary.Points.Count > 0)
        {
            Draw(plot, summary);
        }

        var layerCount = layers.Select(l => (l.Layer, l.Mode)).Distinct().Count();
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"Convergence of the per-layer bases ({layerCount} layers)"));
        plot.XLabel("models absorbed T (log)");
        plot.YLabel("sin θ to the previous version (log)");
        plot.SavePng(path, width, height);
        return summary.PointCount;
    }

    private static void Draw(Plot plot, ConvergenceSummary summary)
    {
        var points = summary.Points;
        var xs = points.Select(p => Math.Log10(p.T)).ToArray();
        double[] Log(Func<ConvergenceQuantiles, double> value) => points.Select(p => Math.Log10(value(p))).ToArray();

        var range = plot.Add.FillY(xs, Log(p => p.Min), Log(p => p.Max));
        range.FillColor = MedianColor.WithAlpha(0.12);
        range.LineColor = Colors.Transparent;
        range.LegendText = "all layers (min–max)";
        var quartiles = plot.Add.FillY(xs, Log(p => p.Q1), Log(p => p.Q3));
        quartiles.FillColor = MedianColor.WithAlpha(0.3);
        quartiles.LineColor = Colors.Transparent;
        quartiles.LegendText = "middle half (25–75 %)";
        var median = plot.Add.Scatter(xs, Log(p => p.Median));
        median.Color = MedianColor;
        median.LineWidth = 3;
        median.MarkerSize = 5;
        median.LegendText = "median over layers";

        var (yMin, yMax) = (points.Min(p => p.Min), points.Max(p => p.Max));
        for (var i = 0; i < summary.Worst.Count; i++)
        {
            var layer = summary.Worst[i];
            var color = WorstColors[i % WorstColors.Length];
            var wx = layer.Points.Select(p => Math.Log10(p.T)).ToArray();
            var wy = layer.Points.Select(p => Math.Log10(p.SinTheta)).ToArray();
            var line = plot.Add.Scatter(wx, wy);
            line.Color = color;
            line.LineWidth = 1.5f;
            line.MarkerSize = 4;
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = $"worst #{i + 1}: {layer.Layer} ({layer.Mode})";
            var label = plot.Add.Text($"#{i + 1}", wx[^1], wy[^1]);
            label.LabelFontColor = color;
            label.LabelFontSize = 13;
            label.LabelBold = true;
            label.LabelAlignment = Alignment.LowerLeft;
        }

        plot.Axes.Bottom.TickGenerator = LogTicks(xs.Min(), xs.Max());
        plot.Axes.Left.TickGenerator = LogTicks(Math.Log10(yMin), Math.Log10(yMax));
        plot.Axes.SetLimitsX(xs.Min() - 0.05, xs.Max() + 0.12);
        plot.ShowLegend(Alignment.UpperRight);
    }

    /// <summary>
    /// Ticks for an axis that shows log10 of the values: labelled majors at 1, 2 and 5 × 10ⁿ, minors at the other
    /// integers × 10ⁿ, over the data's range (a decade either side so the ends are labelled).
    /// </summary>
    private static ScottPlot.TickGenerators.NumericManual LogTicks(double logMin, double logMax)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var exponent = (int)Math.Floor(logMin) - 1; exponent <= (int)Math.Ceiling(logMax) + 1; exponent++)
        {
            for (var mantissa = 1; mantissa <= 9; mantissa++)
            {
                var value = mantissa * Math.Pow(10, exponent);
                var position = Math.Log10(value);
                if (mantissa is 1 or 2 or 5)
                {
                    ticks.AddMajor(position, value.ToString("G3", CultureInfo.InvariantCulture));
                }
                else
                {
                    ticks.AddMinor(position);
                }
            }
        }

        return ticks;
    }
}
