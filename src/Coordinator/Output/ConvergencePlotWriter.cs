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
        }

        plot.Axes.Bottom.TickGenerator = LogTicks();
        plot.Axes.Left.TickGenerator = LogTicks();
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

    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = static exponent => Math.Pow(10, exponent).ToString("G3", System.Globalization.CultureInfo.InvariantCulture),
    };
}
