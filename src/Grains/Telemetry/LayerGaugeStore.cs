using System.Collections.Concurrent;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Telemetry;

/// <summary>
/// The latest figures of every layer whose coordinator lives on this silo, read by the per-layer gauges at each
/// collection. Coordinators write it when they publish a version and remove their entry when they deactivate, so a
/// layer is reported by the silo that holds it now. Thread-safe.
/// </summary>
public sealed class LayerGaugeStore
{
    private readonly ConcurrentDictionary<(string Fleet, string Layer, string Mode), LayerFigures> _layers = new();

    /// <summary>Records the figures of a newly published version (keeping a held-out capture already recorded).</summary>
    public void Publish(BasisVersionInfo info, ReadOnlySpan<double> singularValues)
    {
        ArgumentNullException.ThrowIfNull(info);
        var key = (info.Fleet, info.Layer, UwsKeys.ModeName(info.Mode));
        double? relative = null;
        if (info.Rank > 0 && info.Rank <= singularValues.Length && singularValues[info.Rank - 1] is var sigma && sigma > 0)
        {
            relative = info.Certificate / (sigma * sigma);
        }

        _layers.AddOrUpdate(
            key,
            _ => new LayerFigures(info, relative, null),
            (_, old) => new LayerFigures(info, relative, old.HeldOutCapture));
    }

    /// <summary>Records a layer's held-out capture (ignored until the layer has published a version here).</summary>
    public void SetHeldOutCapture(string fleet, string layer, SketchMode mode, double capture)
    {
        var key = (fleet, layer, UwsKeys.ModeName(mode));
        if (_layers.TryGetValue(key, out var old))
        {
            _layers.TryUpdate(key, old with { HeldOutCapture = capture }, old);
        }
    }

    /// <summary>Stops reporting a layer (its coordinator deactivated here).</summary>
    public void Remove(string fleet, string layer, SketchMode mode) => _layers.TryRemove((fleet, layer, UwsKeys.ModeName(mode)), out _);

    /// <summary>Every layer's latest figures.</summary>
    public IReadOnlyCollection<LayerFigures> Snapshot() => _layers.Values.ToArray();
}

/// <summary>A layer's figures as the gauges report them.</summary>
/// <param name="Version">The latest published version.</param>
/// <param name="CertificateRelative">Certificate / σ_k² (null when σ_k is 0 or unknown).</param>
/// <param name="HeldOutCapture">Held-out capture, once measured.</param>
public sealed record LayerFigures(BasisVersionInfo Version, double? CertificateRelative, double? HeldOutCapture);
