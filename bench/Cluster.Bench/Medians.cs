namespace OrleansUws.Cluster.Bench;

/// <summary>The medians of the benchmark's repetitions: the middle value, or the mean of the middle two.</summary>
internal static class Medians
{
    /// <summary>The median of <paramref name="values"/> (at least one).</summary>
    public static double Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        ArgumentOutOfRangeException.ThrowIfZero(sorted.Length, nameof(values));
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The median of <paramref name="values"/> (at least one), to the tick.</summary>
    public static TimeSpan Of(IEnumerable<TimeSpan> values) => TimeSpan.FromTicks((long)Math.Round(Of(values.Select(t => (double)t.Ticks))));
}
