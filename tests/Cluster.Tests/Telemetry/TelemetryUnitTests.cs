using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OrleansUws.Coordinator.Output;
using OrleansUws.Coordinator.Reports;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Telemetry;
using OrleansUws.Silo.Hosting;
using Xunit;

namespace OrleansUws.Cluster.Tests.Telemetry;

/// <summary>The telemetry's plain parts: rejection classes, the per-layer gauges, the span filter, the convergence summary.</summary>
public sealed class TelemetryUnitTests
{
    [Theory]
    [InlineData("m/adapter_model.safetensors: truncated: 3 bytes, fewer than the 8-byte header length", RejectionClass.Header, "header")]
    [InlineData("m/adapter_model.safetensors: tensor 'x': unknown dtype 'Q4'", RejectionClass.DType, "dtype")]
    [InlineData("m/adapter_model.safetensors: tensor 'x': value NaN at element 3 (row 0, column 3) is not finite", RejectionClass.NonFinite, "non_finite")]
    [InlineData("m: layer 'l0': layer shape 48×32 differs from the fleet's 24×32", RejectionClass.Shape, "shape")]
    [InlineData("layer 'l0' (rows): m: layer 'l0' has shape 8×8, the fleet's is 24×32.", RejectionClass.Shape, "shape")]
    [InlineData("quarantined as an outlier: energy 1e9 × the fleet's median", RejectionClass.Outlier, "outlier")]
    [InlineData("m: the model has no layers.", RejectionClass.Other, "other")]
    [InlineData("vit.safetensors: no layer in common with the fleet: the model's 1 layer(s) start with 'encoder.layer.0', the fleet's 2 with 'layers.0.q' (another architecture or base model)", RejectionClass.Shape, "shape")]
    [InlineData("d/adapter_config.json: field 'use_dora' is true: a DoRA adapter rescales W + s·B·A by a learned magnitude per output feature, so its update is not s·B·A; only plain LoRA adapters are read", RejectionClass.Other, "other")]
    [InlineData("a/adapter_config.json: field 'peft_type' is 'IA3'; only LoRA adapters (ΔW = s·B·A) are read", RejectionClass.Other, "other")]
    [InlineData(null, RejectionClass.Other, "other")]
    public void Rejection_reasons_fall_into_a_small_fixed_set_of_classes(string? reason, RejectionClass expected, string tag)
    {
        Assert.Equal(expected, RejectionClassifier.Classify(reason));
        Assert.Equal(tag, RejectionClassifier.TagValue(expected));
    }

    [Fact]
    public void Layer_gauges_report_the_latest_version_per_layer_with_the_certificate_relative_to_sigma_k_squared()
    {
        using var services = new ServiceCollection().AddUwsMetrics().BuildServiceProvider();
        var metrics = services.GetRequiredService<UwsMetrics>();
        var measured = new Dictionary<(string Instrument, string Layer), double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == UwsTelemetryNames.MeterName && instrument.Name.StartsWith("uws.layer.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            measured[(instrument.Name, (string)tags.ToArray().Single(t => t.Key == UwsTelemetryNames.LayerTag).Value!)] = value);
        listener.Start();

        metrics.BasisPublished(Version("l0", 1, 10, rank: 2, certificate: 0.5, sinTheta: null), [4.0, 2.0, 1.0]);
        metrics.BasisPublished(Version("l0", 2, 20, rank: 2, certificate: 1.0, sinTheta: 0.25), [4.0, 2.0, 1.0]);
        metrics.BasisPublished(Version("l1", 1, 20, rank: 1, certificate: 0, sinTheta: null), [3.0]);
        metrics.Layers.SetHeldOutCapture("f", "l1", SketchMode.Rows, 0.75);
        listener.RecordObservableInstruments();

        Assert.Equal(20, measured[(UwsTelemetryNames.LayerModels, "l0")]);
        Assert.Equal(2, measured[(UwsTelemetryNames.LayerVersion, "l0")]);
        Assert.Equal(1.0 / 4.0, measured[(UwsTelemetryNames.LayerCertificateRelative, "l0")]); // σ_k = 2
        Assert.Equal(0.25, measured[(UwsTelemetryNames.LayerSinTheta, "l0")]);
        Assert.False(measured.ContainsKey((UwsTelemetryNames.LayerSinTheta, "l1")), "version 1 has no sin θ to a previous version");
        Assert.Equal(0.75, measured[(UwsTelemetryNames.LayerHeldOutCapture, "l1")]);
        Assert.False(measured.ContainsKey((UwsTelemetryNames.LayerHeldOutCapture, "l0")));

        measured.Clear();
        metrics.LayerDeactivated(UwsKeys.Coordinator("f", "l0", SketchMode.Rows));
        listener.RecordObservableInstruments();
        Assert.DoesNotContain(measured.Keys, k => k.Layer == "l0");
        Assert.Contains(measured.Keys, k => k.Layer == "l1");
    }

    [Fact]
    public void Held_out_capture_is_the_share_of_the_new_models_energy_the_previous_basis_captured()
    {
        var store = new LayerGaugeStore();
        var layer = new LayerConfiguration("f", "l0", SketchMode.Rows, new LayerShape(1, 3), 1, false, new SketchSettings(8, 1024),
            new BasisPolicy(1, 0.9, 1, 0, TimeSpan.Zero, 10, 50, 7));
        var backend = new OrleansUws.Numerics.Backends.ManagedBlasBackend();
        var solver = new OrleansUws.Numerics.Basis.SubspaceBasisSolver(backend);
        var options = OrleansUws.Grains.BasisPolicyExtensions.ToBasisOptions(layer.Basis, layer.Centered);
        using var sketch = new OrleansUws.Numerics.Sketching.ExactGramSketch(backend, 3, OrleansUws.Numerics.Sketching.MeanMode.Track);
        sketch.AppendRows([2f, 0f, 0f], 1);
        var basis = solver.Compute(sketch, options);
        Assert.Equal(4.0, basis.OperatorTrace, 12);
        store.MeasureHeldOut(layer, basis, previous: null); // version 1: nothing held out yet, its trace (4) recorded
        var first = Version("l0", 1, 1, rank: 1, certificate: 0, sinTheta: null);
        store.Publish(first, [2.0]);
        Assert.Null(Assert.Single(store.Snapshot()).HeldOutCapture);

        // The next model (3, 4, 0): energy 25, of which 9 lies along the previous basis e₁.
        sketch.AppendRows([3f, 4f, 0f], 1);
        var previous = new LayerBasis(first, 3, [1f, 0f, 0f], [2.0], null);
        basis = solver.Compute(sketch, options, new OrleansUws.Numerics.Basis.SubspaceBasis(
            1, 3, previous.Vectors, previous.SingularValues, 1, 0, null, 0, true, false, false, false, 1, 1));
        Assert.Equal(13.0, basis.PreviousCaptured!.Value, 10); // 4 + 9 along e₁
        store.MeasureHeldOut(layer, basis, previous);
        store.Publish(Version("l0", 2, 2, rank: 1, certificate: 0, sinTheta: 0.8), [Math.Sqrt(20)]);

        Assert.Equal(9.0 / 25.0, Assert.Single(store.Snapshot()).HeldOutCapture!.Value, 12);
    }

    [Theory]
    [InlineData("IFleetGrain/SubmitAsync", true)]
    [InlineData("ILayerSliceGrain/AbsorbAsync", true)]
    [InlineData("IGrainTimerInvoker/InvokeCallbackAsync", false)]
    [InlineData("IMembershipService/MembershipChangeNotification", false)]
    [InlineData("GET /api/fleets/{fleet}", false)]
    public void The_span_filter_keeps_only_our_grain_calls(string name, bool kept) =>
        Assert.Equal(kept, OrleansSystemSpanFilter.IsOwnCall(name));

    [Fact]
    public void Convergence_summary_takes_quantiles_of_each_layers_latest_sin_theta_and_names_the_worst()
    {
        LayerReport Layer(string id, params (int T, double? SinTheta)[] versions) => new(
            id, SketchMode.Rows, versions.Select((v, i) => Version(id, i + 1, v.T, 1, 0, v.SinTheta)).ToArray(), null);
        var layers = new[]
        {
            Layer("a", (10, null), (20, 0.4), (30, 0.1)),
            Layer("b", (10, null), (20, 0.2), (30, 0.3)),
            Layer("c", (10, null), (20, 0.8), (30, 0.0)),
            Layer("d", (10, null), (30, 0.05)),
        };

        var summary = ConvergenceSummary.Compute(layers, worst: 2);

        Assert.Equal(6, summary.PointCount); // c's 0 and every version 1 have no logarithm
        Assert.Equal([20, 30], summary.Points.Select(p => p.T));
        var at20 = summary.Points[0]; // a 0.4, b 0.2, c 0.8 (d has none yet)
        Assert.Equal((3, 0.2, 0.4, 0.8), (at20.Layers, at20.Min, at20.Median, at20.Max));
        var at30 = summary.Points[1]; // a 0.1, b 0.3, c still 0.8 (its 0 is left out), d 0.05
        Assert.Equal((4, 0.05, 0.8), (at30.Layers, at30.Min, at30.Max));
        Assert.Equal(0.2, at30.Median, 12);
        Assert.Equal(["c", "b"], summary.Worst.Select(w => w.Layer));
    }

    private static BasisVersionInfo Version(string layer, int version, int models, int rank, double certificate, double? sinTheta) => new(
        "f", layer, SketchMode.Rows, version, models, models * 4L, rank, false, 0.9, certificate, sinTheta, false, TimeSpan.FromMilliseconds(5),
        DateTimeOffset.UnixEpoch, BasisTrigger.OnDemand);
}
