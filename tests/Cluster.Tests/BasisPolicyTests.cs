using Orleans.Core.Internal;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using Xunit;

namespace OrleansUws.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class BasisPolicyTests(ClusterFixture fixture)
{
    private sealed class Observer : IBasisObserver
    {
        private readonly TaskCompletionSource<BasisVersionInfo> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<BasisVersionInfo> First => _first.Task;

        public void OnBasisPublished(BasisVersionInfo version) => _first.TrySetResult(version);
    }

    /// <summary>
    /// Generates a tiny fleet, declares it (so the coordinators exist before any model) with the given policy, and
    /// subscribes an observer to the first layer's rows-mode coordinator.
    /// </summary>
    private async Task<(GeneratedFleet Fleet, IFleetGrain Grain, ILayerCoordinatorGrain Coordinator, Observer Observer)> DeclareAsync(
        string name, int models, ulong seed, int everyModels, TimeSpan interval)
    {
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", models) with { Seed = seed });
        var grain = fixture.Client.GetGrain<IFleetGrain>(name);
        var description = await grain.ConfigureAsync(new FleetConfiguration(
            Layers: fleet.Spec.Layers.ToDictionary(l => l.LayerId, l => new LayerShape(l.OutFeatures, l.InFeatures)),
            Sketch: new SketchSettings(16, 0),
            Basis: new BasisPolicy(4, 0.9, 8, everyModels, interval, 5, 50, 5)));
        var coordinator = fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(name, description.Layers[0].Layer, SketchMode.Rows));
        var observer = new Observer();
        await coordinator.SubscribeAsync(fixture.Client.CreateObjectReference<IBasisObserver>(observer));
        return (fleet, grain, coordinator, observer);
    }

    [Fact]
    public async Task Every_n_models_publishes_a_version_to_subscribers()
    {
        var (fleet, grain, _, observer) = await DeclareAsync("policy-count", models: 4, seed: 31, everyModels: 4, TimeSpan.Zero);
        foreach (var model in fleet.Models(0, 4))
        {
            await grain.SubmitAsync(model);
        }

        var version = await TestWait.WithTimeout(observer.First, "the version after 4 models");
        Assert.Equal(BasisTrigger.ModelCount, version.Trigger);
        Assert.Equal(1, version.Version);
        Assert.Equal(4, version.ModelCount);
        Assert.Equal(fleet.Spec.Layers.Select(l => l.LayerId).Min(StringComparer.Ordinal), version.Layer);
    }

    [Fact]
    public async Task A_reactivated_coordinator_continues_the_every_n_models_count()
    {
        var (fleet, grain, coordinator, _) = await DeclareAsync("policy-reactivated", models: 8, seed: 33, everyModels: 4, TimeSpan.Zero);
        foreach (var model in fleet.Models(0, 4))
        {
            await grain.SubmitAsync(model);
        }

        // A version holds what the slices hold when it is computed: wait for version 1 before model 5, so it is T = 4.
        await TestWait.UntilAsync(async () => (await coordinator.GetStatusAsync()).Current?.ModelCount == 4, "version 1 at T = 4");
        foreach (var model in fleet.Models(4, 2))
        {
            await grain.SubmitAsync(model);
        }

        await TestWait.UntilAsync(
            async () => await coordinator.GetStatusAsync() is { AbsorbedModels: 6, Current.Version: 1 },
            "version 1 and 6 models counted");

        // A fresh activation has to count models 5 and 6 too: version 2 comes with the 8th model, not the 10th.
        await coordinator.AsReference<IGrainManagementExtension>().DeactivateOnIdle(TestContext.Current.CancellationToken);
        foreach (var model in fleet.Models(6, 2))
        {
            await grain.SubmitAsync(model);
        }

        await TestWait.UntilAsync(async () => (await coordinator.GetStatusAsync()).Current?.Version == 2, "version 2 after the 8th model");
        var history = (await coordinator.GetStatusAsync()).History;
        Assert.Equal([4, 8], history.Select(v => v.ModelCount));
        Assert.All(history, v => Assert.Equal(BasisTrigger.ModelCount, v.Trigger));
    }

    [Fact]
    public async Task The_interval_policy_runs_on_the_grains_clock()
    {
        var (fleet, grain, coordinator, observer) = await DeclareAsync("policy-timer", models: 3, seed: 32, everyModels: 0, TimeSpan.FromMinutes(10));
        foreach (var model in fleet.Models(0, 3))
        {
            await grain.SubmitAsync(model);
        }

        Assert.Null((await coordinator.GetStatusAsync()).Current);
        await TestWait.UntilAsync(async () => (await coordinator.GetStatusAsync()).AbsorbedModels == 3, "the coordinator counted 3 models");
        fixture.Time.Advance(TimeSpan.FromMinutes(10));

        var version = await TestWait.WithTimeout(observer.First, "the timer's version");
        Assert.Equal(BasisTrigger.Timer, version.Trigger);
        Assert.Equal(3, version.ModelCount);
        Assert.Equal(fixture.Time.GetUtcNow(), version.CreatedAt);
    }
}
