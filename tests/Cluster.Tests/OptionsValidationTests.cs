using System.Globalization;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;
using OrleansUws.Silo.Options;
using Xunit;

namespace OrleansUws.Cluster.Tests;

public sealed class OptionsValidationTests
{
    [Fact]
    public void Default_options_are_valid()
    {
        Assert.True(new UwsClusterOptionsValidator().Validate(null, new UwsClusterOptions()).Succeeded);
        Assert.True(new UwsSiloOptionsValidator().Validate(null, new UwsSiloOptions()).Succeeded);
    }

    [Fact]
    public void Cluster_options_report_every_bad_field_at_once()
    {
        var options = new UwsClusterOptions { SliceCount = 0, SketchRows = 8, MaxRank = 8, EnergyThreshold = 1.5, MaxIterations = 0, IntervalSeconds = -1, SliceCheckpointIntervalSeconds = double.NaN };
        var result = new UwsClusterOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        var failures = result.Failures!.ToArray();
        Assert.Equal(6, failures.Length);
        Assert.Contains("Uws:Cluster:SliceCheckpointIntervalSeconds must be a non-negative number of seconds (was NaN).", failures);
        Assert.Contains(failures, f => f.StartsWith("Uws:Cluster:SliceCount must be in [1, 1024] (was 0)", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Uws:Cluster:IntervalSeconds", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Uws:Cluster:EnergyThreshold", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("must be below SketchRows (8)", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Uws:Cluster:MaxIterations", StringComparison.Ordinal));
    }

    [Fact]
    public void Retention_counts_must_keep_at_least_one()
    {
        var options = new UwsClusterOptions { BasisVersionsKept = 0, RejectionRecordsKept = -5 };
        var failures = new UwsClusterOptionsValidator().Validate(null, options).Failures!.ToArray();
        Assert.Equal(
            ["Uws:Cluster:BasisVersionsKept must be at least 1, the current version (was 0).", "Uws:Cluster:RejectionRecordsKept must be at least 1 (was -5)."],
            failures);
        Assert.Equal((16, 10_000), (new UwsClusterOptions().BasisVersionsKept, new UwsClusterOptions().RejectionRecordsKept));
    }

    [Fact]
    public void Silo_options_report_every_bad_field_at_once()
    {
        var options = new UwsSiloOptions { ClusterId = " ", SiloPort = 0, GatewayPort = 70000, RedisConnectionString = "", AdvertisedAddress = "localhost", Gpu = new UwsGpuOptions { MemoryBytes = -1 } };
        var failures = new UwsSiloOptionsValidator().Validate(null, options).Failures!.ToArray();
        Assert.Equal(6, failures.Length);
        Assert.Contains("Uws:Silo:AdvertisedAddress must be an IP address (was 'localhost').", failures);
        Assert.Contains(failures, f => f.StartsWith("Uws:Silo:ClusterId", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Uws:Silo:SiloPort", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Uws:Silo:GatewayPort", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Uws:Silo:RedisConnectionString", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Uws:Silo:Gpu:MemoryBytes", StringComparison.Ordinal));
    }

    [Fact]
    public void In_process_storage_is_refused_beside_redis_storage()
    {
        var failures = new UwsSiloOptionsValidator().Validate(null, new UwsSiloOptions { InProcessStorage = true, RedisConnectionString = "localhost:6379" }).Failures!.ToArray();
        Assert.Equal(["Uws:Silo:InProcessStorage keeps grain state in this process only; it cannot be combined with RedisConnectionString (Redis storage)."], failures);
        Assert.True(new UwsSiloOptionsValidator().Validate(null, new UwsSiloOptions { InProcessStorage = true }).Succeeded);
    }

    [Fact]
    public void Fleet_configuration_names_every_bad_field_and_fills_defaults()
    {
        var defaults = new UwsClusterOptions();
        var bad = new FleetConfiguration(
            Modes: [SketchMode.Rows, SketchMode.Rows],
            Layers: new Dictionary<string, LayerShape> { ["a/b"] = new(4, 4), ["c"] = new(0, 3) },
            SliceCount: 0);
        var ex = Assert.Throws<ArgumentException>(() => FleetSettings.Resolve(bad, defaults, "fleet 'x'"));
        Assert.Contains("fleet 'x'", ex.Message);
        Assert.Contains("Modes lists a mode twice", ex.Message);
        Assert.Contains("layer id 'a/b'", ex.Message);
        Assert.Contains("layer 'c' has an invalid shape (0×3)", ex.Message);
        Assert.Contains("SliceCount must be in [1, 1024] (was 0)", ex.Message);

        var resolved = FleetSettings.Resolve(new FleetConfiguration(), defaults, "fleet 'y'");
        Assert.Equal([SketchMode.Rows], resolved.Modes);
        Assert.Equal(defaults.SliceCount, resolved.SliceCount);
        Assert.Equal(defaults.ToBasisPolicy(), resolved.Basis);
        Assert.Null(resolved.Difference(resolved with { }));
        Assert.Equal("SliceCount: 2 vs 3", resolved.Difference(resolved with { SliceCount = 3 }));
        Assert.Equal(
            $"Basis.EnergyThreshold: {defaults.EnergyThreshold.ToString(CultureInfo.InvariantCulture)} vs 0.8",
            resolved.Difference(resolved with { Basis = resolved.Basis with { EnergyThreshold = 0.8 } }));
        Assert.Equal("Sketch.SketchRows: 16 vs 64", (resolved with { Sketch = resolved.Sketch with { SketchRows = 16 } }).Difference(resolved with { Sketch = resolved.Sketch with { SketchRows = 64 } }));

        // A request without layers keeps the architecture in force; one that names other layers differs.
        var withLayers = resolved with { Layers = new Dictionary<string, LayerShape> { ["a"] = new(4, 8) } };
        Assert.Null(withLayers.Difference(resolved));
        Assert.Equal("Layers differ", withLayers.Difference(withLayers with { Layers = new Dictionary<string, LayerShape> { ["a"] = new(4, 9) } }));
        Assert.Equal("Layers differ", resolved.Difference(withLayers));
    }

    [Fact]
    public void Flattened_configuration_needs_whole_rows_per_slice_and_no_centring()
    {
        var defaults = new UwsClusterOptions();
        var bad = new FleetConfiguration(
            Modes: [SketchMode.Flattened],
            Centered: true,
            Layers: new Dictionary<string, LayerShape> { ["narrow"] = new(3, 64), ["wide"] = new(64, 64) },
            FlattenedSliceCount: 4);
        var ex = Assert.Throws<ArgumentException>(() => FleetSettings.Resolve(bad, defaults, "fleet 'f'"));
        Assert.Contains("Centered is not supported with the Flattened mode", ex.Message);
        Assert.Contains("layer 'narrow' has m = 3 rows, fewer than FlattenedSliceCount = 4", ex.Message);
        Assert.DoesNotContain("'wide'", ex.Message);
        Assert.Contains("FlattenedSliceCount must be in [1, 1024] (was 0)",
            Assert.Throws<ArgumentException>(() => FleetSettings.Resolve(new FleetConfiguration(FlattenedSliceCount: 0), defaults, "fleet 'g'")).Message);

        var resolved = FleetSettings.Resolve(bad with { Centered = false, Layers = null }, defaults, "fleet 'f'");
        Assert.Equal(4, resolved.FlattenedSliceCount);
        Assert.Equal("FlattenedSliceCount: 4 vs 2", resolved.Difference(resolved with { FlattenedSliceCount = 2 }));
        Assert.Equal(defaults.FlattenedSliceCount, FleetSettings.Resolve(new FleetConfiguration(), defaults, "fleet 'h'").FlattenedSliceCount);
    }
}
