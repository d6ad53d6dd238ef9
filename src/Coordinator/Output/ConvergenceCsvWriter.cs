using System.Globalization;
using OrleansUws.Coordinator.Reports;

namespace OrleansUws.Coordinator.Output;

/// <summary>
/// Writes the convergence history of every layer as CSV: one header line, then one row per basis version
/// (layer, mode, centred, version, models, rows, k, rank_capped, explained_energy, certificate, sin_theta_previous, trigger).
/// The first version of a layer has an empty <c>sin_theta_previous</c>.
/// </summary>
public static class ConvergenceCsvWriter
{
    /// <summary>The header line.</summary>
    public const string Header = "layer,mode,centred,version,models,rows,k,rank_capped,explained_energy,certificate,sin_theta_previous,trigger";

    /// <summary>Writes the CSV for <paramref name="layers"/> to <paramref name="writer"/>.</summary>
    public static void Write(TextWriter writer, IEnumerable<LayerReport> layers)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(layers);
        writer.WriteLine(Header);
        foreach (var layer in layers)
        {
            foreach (var point in layer.History)
            {
                writer.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{Quote(layer.Layer)},{layer.ModeName},{Bool(point.Centered)},{point.Version},{point.ModelCount},{point.RowCount},{point.Rank},{Bool(point.RankCapped)},{point.ExplainedEnergy:R},{point.Certificate:R},{point.SinThetaToPrevious:R},{point.Trigger}"));
            }
        }
    }

    /// <summary>Writes the CSV to the file <paramref name="path"/>, replacing it.</summary>
    public static void Write(string path, IEnumerable<LayerReport> layers)
    {
        using var writer = new StreamWriter(path, append: false);
        Write(writer, layers);
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") < 0 ? field : $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
