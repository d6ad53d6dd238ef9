using System.Globalization;
using System.Text.RegularExpressions;

namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>Reads the ingestion queue's series from a Prometheus text page (a process's <c>/metrics</c>).</summary>
internal static class QueueSeries
{
    /// <summary>The value of <paramref name="metric"/>'s series for queue <paramref name="queue"/> (its <c>uws_queue</c> label), or null.</summary>
    public static double? Value(string page, string metric, string queue) =>
        Values(page, metric, queue).Select(v => (double?)v).FirstOrDefault();

    /// <summary>The sum of <paramref name="metric"/>'s series for queue <paramref name="queue"/> over its other labels (0 when none).</summary>
    public static double Sum(string page, string metric, string queue) => Values(page, metric, queue).Sum();

    /// <summary>The page's <c>uws_queue*</c> lines, for a failure message.</summary>
    public static string Lines(string page) =>
        string.Join(Environment.NewLine, page.Split('\n').Where(l => l.StartsWith("uws_queue", StringComparison.Ordinal)));

    private static IEnumerable<double> Values(string page, string metric, string queue) =>
        Regex.Matches(page, $@"^{metric}\{{[^}}]*uws_queue=""{Regex.Escape(queue)}""[^}}]*\}} (\S+)", RegexOptions.Multiline)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
}
