using Microsoft.Extensions.Logging.Abstractions;
using OrleansUws.Grains.Admission;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;
using OrleansUws.Grains.Registry;
using OrleansUws.Grains.State;
using Xunit;

namespace OrleansUws.Cluster.Tests.Admission;

/// <summary>
/// The plain classes the fleet registry calls, without a cluster: the layers its settings describe, the admission verdict
/// (architecture agreed by quorum, then kept) and the classification of a fan-out's failures.
/// </summary>
public sealed class RegistryPartsTests
{
    private static readonly Dictionary<string, LayerShape> Good = new() { ["q"] = new(48, 32), ["v"] = new(24, 32) };
    private static readonly Dictionary<string, LayerShape> Wide = new() { ["q"] = new(48, 40), ["v"] = new(24, 32) };
    private static readonly Dictionary<string, double> Norms = new() { ["q"] = 1.0, ["v"] = 2.0 };

    [Fact]
    public void Settings_list_every_layer_in_ordinal_order_in_each_mode_with_that_modes_slice_count()
    {
        var settings = FleetSettings.Resolve(
            new FleetConfiguration([SketchMode.Flattened, SketchMode.Rows], Layers: Good, SliceCount: 3, FlattenedSliceCount: 5),
            new UwsClusterOptions(), "fleet 'f'");

        var layers = settings.LayerConfigurations("f");

        Assert.Equal(
            ["f/q/flattened:5", "f/q/rows:3", "f/v/flattened:5", "f/v/rows:3"],
            layers.Select(l => $"{l.CoordinatorKey}:{l.SliceCount}").ToArray());
        Assert.All(layers, l => Assert.Equal(Good[l.Layer], l.Shape));
    }

    [Fact]
    public async Task Admission_agrees_the_architecture_by_quorum_saves_it_once_and_then_rejects_a_model_that_differs()
    {
        var state = new FleetState { Settings = FleetSettings.Resolve(new FleetConfiguration(ArchitectureQuorum: 2), new UwsClusterOptions(), "fleet 'f'") };
        var saves = 0;
        var admission = new FleetAdmission("f", new LayerNormBaseline(), TimeSpan.FromMinutes(5), NullLogger.Instance);
        Task Save()
        {
            saves++;
            return Task.CompletedTask;
        }

        // Admission runs in the registry grain's turns, one at a time: an exclusive scheduler stands in for the activation's
        // (on the thread pool the waiting model's continuation would race the one that completes the quorum).
        var turns = new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler;
        Task<T> Turn<T>(Func<Task<T>> body) => Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.None, turns).Unwrap();

        var first = Turn(() => admission.JudgeAsync(new ModelReference("m1", "m1.safetensors"), new AdmissionResult(null, "h1", Good, Norms), state, Save));
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(first.IsCompleted); // one model is no quorum
        var second = await Turn(() => admission.JudgeAsync(new ModelReference("m2", "m2.safetensors"), new AdmissionResult(null, "h2", Good, Norms), state, Save));

        Assert.Null(second);
        Assert.Null(await first);
        Assert.Equal(1, saves);
        Assert.True(ArchitectureQuorum.Same(Good, state.Layers));

        var wide = await Turn(() => admission.JudgeAsync(new ModelReference("m3", "m3.safetensors"), new AdmissionResult(null, "h3", Wide, Norms), state, Save));
        Assert.Equal((ModelStatus.Rejected, "m3.safetensors: tensor 'q': layer shape 48×40 differs from the fleet's 48×32"), wide);
        var unreadable = await Turn(() => admission.JudgeAsync(new ModelReference("m4", "m4.safetensors"), new AdmissionResult("m4.safetensors: truncated", null, Good, Norms), state, Save));
        Assert.Equal((ModelStatus.Rejected, "m4.safetensors: truncated"), unreadable);
        Assert.Equal(1, saves);
    }

    [Fact]
    public void Fault_classification_tells_a_refused_model_from_a_failing_cluster_and_names_every_failed_layer()
    {
        var shape = new LayerShape(4, 3);
        var settings = FleetSettings.Resolve(
            new FleetConfiguration([SketchMode.Rows, SketchMode.Columns], Layers: new Dictionary<string, LayerShape> { ["q"] = shape }),
            new UwsClusterOptions(), "fleet 'f'");
        var (rows, columns) = (settings.LayerConfigurations("f")[0], settings.LayerConfigurations("f")[1]);

        Assert.Equal(("bad block", true), FanOutFaults.Classify(new InvalidDataException("bad block")));
        Assert.Equal(("wrong layer", true), FanOutFaults.Classify(new ArgumentException("wrong layer")));
        var timeout = FanOutFaults.Classify(new TimeoutException("30 s"));
        Assert.Equal(("TimeoutException: 30 s", false), timeout);

        Assert.Null(FanOutFaults.Describe([(rows, null, false), (columns, null, false)]));
        Assert.Equal(
            "not fully absorbed, re-submit: layer 'q' (columns): TimeoutException: 30 s",
            FanOutFaults.Describe([(rows, null, false), (columns, timeout.Error, timeout.ModelFault)]));
        Assert.Equal(
            "the file changed after admission, re-submit: layer 'q' (rows): bad block; layer 'q' (columns): TimeoutException: 30 s",
            FanOutFaults.Describe([(rows, "bad block", true), (columns, timeout.Error, timeout.ModelFault)]));
    }

    [Fact]
    public void A_models_architecture_maps_to_the_wire_with_out_features_as_rows()
    {
        var architecture = new ModelFormats.ModelArchitecture(new Dictionary<string, ModelFormats.LayerShape>
        {
            ["v"] = new(24, 32),
            ["q"] = new(48, 32),
        });

        var wire = LayerShape.Of(architecture);

        Assert.Equal(["q", "v"], wire.Keys.ToArray());
        Assert.True(LayerShape.Same(Good, wire));
        Assert.False(LayerShape.Same(Wide, wire));
        Assert.Equal(new LayerShape(48, 32), LayerShape.From(new ModelFormats.LayerShape(48, 32)));
    }
}
