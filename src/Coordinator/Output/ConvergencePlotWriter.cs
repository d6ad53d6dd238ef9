using OrleansUws.Coordinator.Reports;
using ScottPlot;

namespace OrleansUws.Coordinator.Output;

/// <summary>
/// Draws the convergence plot: sin θ between successive basis versions against the model count T, on log-log
/// axes, one series per layer. Versions without a predecessor, and distances of exactly 0, have no logarithm
/// and are left out of their series.
/// </summary>
public static class ConvergencePlotWriter
{
    /// <summary>Default image width in pixels.</summary>
    public const int DefaultWidth = 1000;

    /// <summary>Default image height in pixels.</summary>
    public const int DefaultHeight = 650;

    /// <summary>Saves the plot of <paramref name="layers"/> as a PNG file at <paramref name="path"/>.</summary>
    /// <returns>The number of points drawn over all series.</returns>
    public static int WritePng(string path, IReadOnlyList<LayerReport> layers, int width = DefaultWidth, int height = DefaultHeight)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 100);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 100);

        var plot = new Plot();
        var drawn = 0;
        var (xMin, xMax, yMin, yMax) = (double.MaxValue, double.MinValue, double.MaxValue, double.MinValue);
        foreach (var layer in layers)
        {
            var points = layer.History
                .Where(p => p.SinThetaToPrevious is > 0 && p.ModelCount > 0)
                .ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            var xs = points.Select(p => Math.Log10(p.ModelCount)).ToArray();
            var ys = points.Select(p => Math.Log10(p.SinThetaToPrevious!.Value)).ToArray();
            var series = plot.Add.Scatter(xs, ys);
            series.LegendText = layer.Layer;
            drawn += points.Length;
            (xMin, xMax, yMin, yMax) = (Math.Min(xMin, xs.Min()), Math.Max(xMax, xs.Max()), Math.Min(yMin, ys.Min()), Math.Max(yMax, ys.Max()));
        }

        if (drawn > 0)
        {
            plot.Axes.Bottom.TickGenerator = LogTicks(xMin, xMax);
            plot.Axes.Left.TickGenerator = LogTicks(yMin, yMax);
        }

        plot.Title("Convergence of the per-layer bases");
        plot.XLabel("models absorbed T (log)");
        plot.YLabel("sin θ to the previous version (log)");
        if (drawn > 0)
        {
            plot.ShowLegend(Edge.Right);
        }

        plot.SavePng(path, width, height);
        return drawn;
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
                    ticks.AddMajor(position, value.ToString("G3", System.Globalization.CultureInfo.InvariantCulture));
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
