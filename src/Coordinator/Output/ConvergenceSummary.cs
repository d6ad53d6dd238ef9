using OrleansUws.Coordinator.Reports;

namespace OrleansUws.Coordinator.Output;

/// <summary>
/// The convergence of many layers at once, as the plot draws it: at each T where some layer published a version, the
/// spread of every layer's latest sin θ to its previous version (layers without one yet are left out), and the layers
/// that are worst at the end. Only positive values count (the plot is logarithmic; 0 means identical versions).
/// </summary>
/// <param name="Points">Per T, ascending: the quantiles of the layers' current sin θ.</param>
/// <param name="Worst">The layers with the largest latest sin θ, worst first, with their own series.</param>
/// <param name="PointCount">(layer, version) pairs with a positive sin θ: what the per-layer plot had as points.</param>
public sealed record ConvergenceSummary(IReadOnlyList<ConvergenceQuantiles> Points, IReadOnlyList<LayerConvergence> Worst, int PointCount)
{
    /// <summary>How many of the worst layers are singled out by default.</summary>
    public const int DefaultWorst = 3;

    /// <summary>Summarises <paramref name="layers"/>, singling out the <paramref name="worst"/> worst.</summary>
    public static ConvergenceSummary Compute(IReadOnlyList<LayerReport> layers, int worst = DefaultWorst)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentOutOfRangeException.ThrowIfNegative(worst);
        var series = layers
            .Select(l => new LayerConvergence(
                l.Layer, l.ModeName,
                l.History.Where(v => v.SinThetaToPrevious is > 0 && v.ModelCount > 0)
                    .Select(v => (T: v.ModelCount, SinTheta: v.SinThetaToPrevious!.Value))
                    .OrderBy(p => p.T)
                    .ToArray()))
            .Where(s => s.Points.Count > 0)
            .ToArray();

        var points = new List<ConvergenceQuantiles>();
        foreach (var t in series.SelectMany(s => s.Points.Select(p => p.T)).Distinct().Order())
        {
            var current = series
                .Select(s => s.Points.LastOrDefault(p => p.T <= t))
                .Where(p => p.T > 0)
                .Select(p => p.SinTheta)
                .Order()
                .ToArray();
            points.Add(new ConvergenceQuantiles(t, current.Length, current[0], Quantile(current, 0.25), Quantile(current, 0.5), Quantile(current, 0.75), current[^1]));
        }

        var worstLayers = series
            .OrderByDescending(s => s.Points[^1].SinTheta)
            .ThenBy(s => s.Layer, StringComparer.Ordinal)
            .Take(worst)
            .ToArray();
        return new ConvergenceSummary(points, worstLayers, series.Sum(s => s.Points.Count));
    }

    /// <summary>Linear-interpolated quantile of sorted values (type 7, as numpy's default).</summary>
    internal static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        var position = q * (sorted.Count - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }
}

/// <summary>The layers' current sin θ at one T.</summary>
/// <param name="T">Models absorbed.</param>
/// <param name="Layers">Layers with a value at T.</param>
/// <param name="Min">Smallest.</param>
/// <param name="Q1">25th percentile.</param>
/// <param name="Median">Median.</param>
/// <param name="Q3">75th percentile.</param>
/// <param name="Max">Largest.</param>
public sealed record ConvergenceQuantiles(int T, int Layers, double Min, double Q1, double Median, double Q3, double Max);

/// <summary>One layer's series: (T, sin θ to the previous version), ascending T.</summary>
/// <param name="Layer">Layer id.</param>
/// <param name="Mode">Mode name.</param>
/// <param name="Points">The versions with a positive sin θ.</param>
public sealed record LayerConvergence(string Layer, string Mode, IReadOnlyList<(int T, double SinTheta)> Points);
