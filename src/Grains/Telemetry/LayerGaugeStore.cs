using System.Collections.Concurrent;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Telemetry;

/// <summary>
/// The latest figures of every layer whose coordinator lives on this silo, read by the per-layer gauges at each
/// collection. Coordinators write it when they publish a version and remove their entry when they deactivate, so a
/// layer is reported by the silo that holds it now. Also measures each layer's held-out capture
/// (<see cref="MeasureHeldOut"/>). Thread-safe.
/// </summary>
public sealed class LayerGaugeStore
{
    private readonly ConcurrentDictionary<(string Fleet, string Layer, string Mode), LayerFigures> _layers = new();
    private readonly ConcurrentDictionary<(string Fleet, string Layer, string Mode), double> _traces = new();
    private readonly ConcurrentDictionary<(string Fleet, string Layer, string Mode), double> _heldOut = new();

    /// <summary>
    /// Records the figures of a newly published version. The held-out capture is the version's streaming figure (the
    /// running average of the per-model shares the slices measured before absorbing, <see cref="BasisVersionInfo.HeldOut"/>)
    /// when it has one, else the aggregate one of <see cref="MeasureHeldOut"/>, else the one already recorded.
    /// </summary>
    public void Publish(BasisVersionInfo info, ReadOnlySpan<double> singularValues)
    {
        ArgumentNullException.ThrowIfNull(info);
        var key = (info.Fleet, info.Layer, UwsKeys.ModeName(info.Mode));
        double? relative = null;
        if (info.Rank > 0 && info.Rank <= singularValues.Length && singularValues[info.Rank - 1] is var sigma && sigma > 0)
        {
            relative = info.Certificate / (sigma * sigma);
        }

        double? measured = _heldOut.TryRemove(key, out var capture) ? capture : null;
        measured = info.HeldOut?.MeanShare ?? measured;
        _layers.AddOrUpdate(
            key,
            _ => new LayerFigures(info, relative, measured),
            (_, old) => new LayerFigures(info, relative, measured ?? old.HeldOutCapture));
    }

    /// <summary>
    /// Records the held-out capture of the version about to be published as <paramref name="basis"/>: of the energy the
    /// layer's sketched operator C gained since the previous version was computed here, the share the previous basis
    /// captures, (tr(Vᵀ C V) − Σσ²) / (tr C − tr C_previous), with V and σ the previous basis and its singular values,
    /// clamped to [0, 1]. The models arrived after the previous basis was computed, so it had not seen them: 1 means they
    /// brought nothing new. The solve measured tr C and tr(Vᵀ C V) (<see cref="SubspaceBasis.OperatorTrace"/>,
    /// <see cref="SubspaceBasis.PreviousCaptured"/>); the next <see cref="Publish"/> of the layer reports it. Needs the
    /// previous version's trace, recorded by the previous call on this silo; skipped for flattened layers (their
    /// vectors live in the column slices).
    /// </summary>
    public void MeasureHeldOut(LayerConfiguration layer, SubspaceBasis basis, LayerBasis? previous)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(basis);
        if (layer.Mode == SketchMode.Flattened)
        {
            return;
        }

        var key = (layer.Fleet, layer.Layer, UwsKeys.ModeName(layer.Mode));
        var trace = basis.OperatorTrace;
        if (previous is { Info.Rank: > 0 and var k } && previous.SingularValues.Length >= k && basis.PreviousCaptured is { } projected
            && _traces.TryGetValue(key, out var before) && trace > before)
        {
            double captured = 0;
            for (var i = 0; i < k; i++)
            {
                captured += previous.SingularValues[i] * previous.SingularValues[i];
            }

            _heldOut[key] = Math.Clamp((projected - captured) / (trace - before), 0, 1);
        }

        _traces[key] = trace;
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
    public void Remove(string fleet, string layer, SketchMode mode)
    {
        var key = (fleet, layer, UwsKeys.ModeName(mode));
        _layers.TryRemove(key, out _);
        _traces.TryRemove(key, out _);
        _heldOut.TryRemove(key, out _);
    }

    /// <summary>Every layer's latest figures.</summary>
    public IReadOnlyCollection<LayerFigures> Snapshot() => _layers.Values.ToArray();
}

/// <summary>A layer's figures as the gauges report them.</summary>
/// <param name="Version">The latest published version.</param>
/// <param name="CertificateRelative">Certificate / σ_k² (null when σ_k is 0 or unknown).</param>
/// <param name="HeldOutCapture">Held-out capture, once measured.</param>
public sealed record LayerFigures(BasisVersionInfo Version, double? CertificateRelative, double? HeldOutCapture);
