using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// Version cuts: every model names the version cut it was submitted for, and each version holds exactly its cut's
/// models — a slice that meets the next cut's models before a cut is captured keeps the cut's state apart from them (a
/// late model of the cut joins that state) until the capture. A run that versions every N models captures each batch's
/// version before its next batch starts and solves it while that batch is ingested.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class VersionCutTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_slice_keeps_a_cuts_state_apart_from_the_next_cuts_models_until_captured()
    {
        var fleet = GeneratedFleet.Generate(fixture.Root, "cut-slice", FleetPresets.Create("tiny", 6, layerCount: 1) with { Seed = 91 });
        var (slice, configuration) = Slice("cut-slice", fleet);
        var (control, controlConfiguration) = Slice("cut-slice-control", fleet);

        foreach (var i in new[] { 0, 1, 2 })
        {
            await slice.AbsorbAsync(fleet.Model(i), configuration, cut: 1);
        }

        // Model 3 opens cut 2; model 4, submitted for cut 1, arrives after it (a slower submission of the same batch).
        await slice.AbsorbAsync(fleet.Model(3), configuration, cut: 2);
        await slice.AbsorbAsync(fleet.Model(4), configuration, cut: 1);
        Assert.Equal(5, (await slice.GetInfoAsync()).ModelCount);

        var first = await slice.GetSnapshotSinceAsync(Guid.Empty, 0, cut: 1);
        foreach (var i in new[] { 0, 1, 2, 4 })
        {
            await control.AbsorbAsync(fleet.Model(i), controlConfiguration, cut: 0);
        }

        await AssertSameSketchAsync(control, first, models: 4);

        // After the capture the cut's models and the next cut's are one sketch again.
        await slice.AbsorbAsync(fleet.Model(5), configuration, cut: 2);
        var second = await slice.GetSnapshotSinceAsync(first.Activation, first.ModelCount, cut: 2);
        Assert.False(second.Unchanged);
        foreach (var i in new[] { 3, 5 })
        {
            await control.AbsorbAsync(fleet.Model(i), controlConfiguration, cut: 0);
        }

        await AssertSameSketchAsync(control, second, models: 6);
        Assert.True((await slice.GetSnapshotSinceAsync(second.Activation, 6, cut: 2)).Unchanged);
    }

    [Theory]
    [InlineData(LargeLayerSketch.FrequentDirections, "cut-fd")]
    [InlineData(LargeLayerSketch.Nystrom, "cut-nystrom")]
    public async Task A_sketching_slice_with_cuts_holds_the_bytes_of_the_same_models_absorbed_in_order(LargeLayerSketch large, string name)
    {
        // Frequent Directions (ℓ = 8, so 16-row rank-4 adapters make it shrink) is order-dependent, and a Nyström sketch's
        // pending rows are copied with the cut: the cut's copy and the slice's own sketch must each be exactly what absorbing
        // their models in arrival order gives, with no merge between.
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", 8, layerCount: 1) with { Seed = 94 });
        var (slice, configuration) = Slice(name, fleet, exactGramMaxDimension: 8, large);
        var (cutControl, cutConfiguration) = Slice(name + "-cut", fleet, exactGramMaxDimension: 8, large);
        var (control, controlConfiguration) = Slice(name + "-all", fleet, exactGramMaxDimension: 8, large);
        (int Model, int Cut)[] arrivals = [(0, 1), (1, 1), (2, 1), (3, 2), (4, 1), (5, 2), (6, 3), (7, 2)];
        SliceSnapshot? first = null;
        foreach (var (model, cut) in arrivals)
        {
            await slice.AbsorbAsync(fleet.Model(model), configuration, cut);
            await control.AbsorbAsync(fleet.Model(model), controlConfiguration, cut: 0);
            if (cut == 1)
            {
                await cutControl.AbsorbAsync(fleet.Model(model), cutConfiguration, cut: 0);
            }

            if (model == 5)
            {
                first = await slice.GetSnapshotSinceAsync(Guid.Empty, 0, cut: 1);
            }
        }

        Assert.Equal(4, first!.ModelCount);
        Assert.Equal((await cutControl.GetSnapshotAsync()).Sketch.Bytes, first.Sketch.Bytes);
        var all = await slice.GetSnapshotAsync();
        Assert.Equal(8, all.ModelCount);
        Assert.Equal((await control.GetSnapshotAsync()).Sketch.Bytes, all.Sketch.Bytes);
        using var sketch = SketchSerializer.Deserialize(all.Sketch.Bytes, new ManagedBlasBackend());
        Assert.Equal(large == LargeLayerSketch.Nystrom ? SketchKind.Nystrom : SketchKind.FrequentDirections, sketch.Kind);
        Assert.True(sketch is not FrequentDirectionsSketch fd || fd.ShrinkCount > 0, "the sketch never shrank: the test would not see a merge");
    }

    [Fact]
    public async Task A_checkpoint_while_a_cut_is_open_stores_every_model_and_keeps_the_cut()
    {
        var fleet = GeneratedFleet.Generate(fixture.Root, "cut-checkpoint", FleetPresets.Create("tiny", 4, layerCount: 1) with { Seed = 93 });
        var (slice, configuration) = Slice("cut-checkpoint", fleet);
        var (control, controlConfiguration) = Slice("cut-checkpoint-control", fleet);
        await slice.AbsorbAsync(fleet.Model(0), configuration, cut: 1);
        await slice.AbsorbAsync(fleet.Model(1), configuration, cut: 1);
        await slice.AbsorbAsync(fleet.Model(2), configuration, cut: 2);
        await slice.AbsorbAsync(fleet.Model(3), configuration, cut: 1);

        // The checkpoint holds all four models; the cut still answers with its own three.
        Assert.Equal(4, await slice.FlushAsync());
        Assert.Equal(0, (await slice.GetInfoAsync()).PendingCheckpoint);
        var cut = await slice.GetSnapshotSinceAsync(Guid.Empty, 0, cut: 1);
        foreach (var i in new[] { 0, 1, 3 })
        {
            await control.AbsorbAsync(fleet.Model(i), controlConfiguration, cut: 0);
        }

        await AssertSameSketchAsync(control, cut, models: 3);

        // Nothing arrived since the flush: the slice serves the stored blob, which must equal all four models.
        await control.AbsorbAsync(fleet.Model(2), controlConfiguration, cut: 0);
        await AssertSameSketchAsync(control, await slice.GetSnapshotAsync(), models: 4);
    }

    [Fact]
    public async Task Batches_publish_versions_of_exactly_each_cuts_models_while_the_next_batch_is_ingested()
    {
        const string name = "cut-run";
        const int batch = 4;
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", 12, layerCount: 2) with { Seed = 92 });
        var configuration = new FleetConfiguration(
            Modes: [SketchMode.Rows, SketchMode.Columns],
            SliceCount: 2,
            Sketch: new SketchSettings(16, 1024),
            Basis: new BasisPolicy(3, 0.9, 3, 0, TimeSpan.Zero, 5, 50, 3));
        var registry = fixture.Client.GetGrain<IFleetGrain>(name);
        await registry.ConfigureAsync(configuration);
        var sources = fleet.Models(0, 12).Select(m => new ModelSource(m.ModelId, m.Location)).ToArray();

        // Six submissions in flight and four models a batch: a batch's capture takes every layer's state before any model
        // of the next batch is submitted, so when cut c is captured exactly its 4·c models have been answered.
        var cuts = new List<int>();
        var answeredAtCapture = new List<int>();
        var answered = 0;
        var summary = await new ModelIngestor(registry, parallelism: 6).IngestInBatchesAsync(
            sources,
            batch,
            async (cut, ct) =>
            {
                lock (cuts)
                {
                    cuts.Add(cut);
                    answeredAtCapture.Add(Volatile.Read(ref answered));
                }

                await FleetVersions.CaptureNowAsync(fixture.Client, name, cut, ct);
            },
            new Counter(() => Interlocked.Increment(ref answered)),
            overlap: true,
            ct => FleetVersions.PublishCapturedAsync(fixture.Client, name, ct),
            TestContext.Current.CancellationToken);
        Assert.Equal(12, summary.Absorbed);
        Assert.Equal([1, 2, 3], cuts);
        Assert.Equal([4, 8, 12], answeredAtCapture);

        var layers = fleet.Spec.Layers.SelectMany(l => configuration.Modes!.Select(mode => UwsKeys.Coordinator(name, l.LayerId, mode))).ToArray();
        foreach (var layer in layers)
        {
            Assert.Equal(12, (await fixture.Client.GetGrain<ILayerCoordinatorGrain>(layer).ComputeNowAsync())!.ModelCount);
        }

        // Each cut's version equals a fleet that absorbed exactly the first 4·cut models (exact Gram: order does not matter).
        for (int cut = 1; cut <= 3; cut++)
        {
            var control = fixture.Client.GetGrain<IFleetGrain>($"{name}-control-{cut}");
            await control.ConfigureAsync(configuration);
            foreach (var model in fleet.Models(0, batch * cut))
            {
                await control.SubmitAsync(model);
            }

            foreach (var layer in layers)
            {
                var expected = (await fixture.Client.GetGrain<ILayerCoordinatorGrain>(layer.Replace(name, $"{name}-control-{cut}", StringComparison.Ordinal)).ComputeNowAsync())!;
                var archive = fixture.Client.GetGrain<IBasisArchiveGrain>(layer);
                var versions = await archive.GetVersionsAsync();
                var basis = (await archive.GetAsync(versions[cut - 1]))!;
                var controlBasis = (await fixture.Client.GetGrain<IBasisArchiveGrain>(layer.Replace(name, $"{name}-control-{cut}", StringComparison.Ordinal)).GetAsync(expected.Version))!;
                Assert.Equal(3, versions.Count);
                Assert.Equal(batch * cut, basis.Info.ModelCount);
                Assert.Equal(controlBasis.Info.RowCount, basis.Info.RowCount);
                var sinTheta = SubspaceMetrics.SinThetaMax(basis.Vectors, 3, controlBasis.Vectors, 3, basis.Dimension);
                Assert.True(sinTheta <= 1e-5, $"{layer} at cut {cut}: sin θ = {sinTheta:E2}");
            }
        }
    }

    [Fact]
    public async Task A_second_run_against_the_same_slices_versions_exactly_its_own_cuts()
    {
        const string name = "cut-rerun";
        const int batch = 4;
        var fleet = GeneratedFleet.Generate(fixture.Root, name, FleetPresets.Create("tiny", 20, layerCount: 1) with { Seed = 95 });
        var registry = fixture.Client.GetGrain<IFleetGrain>(name);
        var configuration = new FleetConfiguration(
            Modes: [SketchMode.Rows], SliceCount: 2, Sketch: new SketchSettings(16, 1024), Basis: new BasisPolicy(3, 0.9, 3, 0, TimeSpan.Zero, 5, 50, 3));
        await registry.ConfigureAsync(configuration);
        var models = fleet.Models(0, 20).ToArray();
        var sources = models.Select(m => new ModelSource(m.ModelId, m.Location)).ToArray();
        var cuts = new List<int>();
        var ingestor = new ModelIngestor(registry, parallelism: 4);
        async Task CaptureAsync(int cut, CancellationToken ct)
        {
            cuts.Add(cut);
            await FleetVersions.CaptureNowAsync(fixture.Client, name, cut, ct);
        }

        await ingestor.IngestInBatchesAsync(sources[..8], batch, CaptureAsync, overlap: true, cancellationToken: TestContext.Current.CancellationToken);

        // A second run configures the fleet as the first did (no layers named: the architecture stays), which is no change;
        // another slice count is refused, naming it.
        Assert.Equal(2, (await registry.ConfigureAsync(configuration)).SliceCount);
        var changed = await Assert.ThrowsAsync<InvalidOperationException>(() => registry.ConfigureAsync(configuration with { SliceCount = 3 }));
        Assert.Equal($"Fleet '{name}' already has 8 models; its configuration can no longer change (SliceCount: 2 vs 3).", changed.Message);

        // A second submitter reserves its cuts after the first run's and overlaps them: the same slice activations meet its
        // second cut's models before its first cut is captured, so that version must hold the first run's 8 models and
        // this cut's 4, not all 16. (Had it numbered its cuts from 1 again, the slices would take them for cuts already
        // captured and keep nothing apart.)
        int first = await registry.ReserveCutsAsync(2);
        Assert.Equal(3, first);
        foreach (var (model, i) in models[8..16].Select((m, i) => (m, i)))
        {
            Assert.Equal(ModelStatus.Absorbed, (await registry.SubmitForCutAsync(model, first + (i / batch))).Status);
        }

        await FleetVersions.CaptureNowAsync(fixture.Client, name, first, TestContext.Current.CancellationToken);
        await FleetVersions.CaptureNowAsync(fixture.Client, name, first + 1, TestContext.Current.CancellationToken);

        // A third run through the ingestor numbers its batches from the registry's next cut.
        await ingestor.IngestInBatchesAsync(sources[16..], batch, CaptureAsync, overlap: true, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal([1, 2, 5], cuts);

        var coordinator = UwsKeys.Coordinator(name, fleet.Spec.Layers[0].LayerId, SketchMode.Rows);
        Assert.Equal(20, (await fixture.Client.GetGrain<ILayerCoordinatorGrain>(coordinator).ComputeNowAsync())!.ModelCount);
        var archive = fixture.Client.GetGrain<IBasisArchiveGrain>(coordinator);
        var counts = new List<int>();
        foreach (var version in await archive.GetVersionsAsync())
        {
            counts.Add((await archive.GetAsync(version))!.Info.ModelCount);
        }

        Assert.Equal([4, 8, 12, 16, 20], counts);

        // The registry keeps counting: the next run's cuts start after the five these three runs used.
        Assert.Equal(6, await registry.ReserveCutsAsync(3));
        Assert.Equal(9, await registry.ReserveCutsAsync(1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => registry.ReserveCutsAsync(0));
    }

    private (ILayerSliceGrain Slice, LayerConfiguration Configuration) Slice(
        string name, GeneratedFleet fleet, int exactGramMaxDimension = 1024, LargeLayerSketch large = LargeLayerSketch.FrequentDirections)
    {
        var layer = fleet.Spec.Layers[0];
        var configuration = new LayerConfiguration(
            name, layer.LayerId, SketchMode.Rows, new LayerShape(layer.OutFeatures, layer.InFeatures), SliceCount: 1, Centered: true,
            new SketchSettings(SketchRows: 8, ExactGramMaxDimension: exactGramMaxDimension, large),
            new BasisPolicy(Rank: 2, EnergyThreshold: 0.9, MaxRank: 4, EveryModels: 0, Interval: TimeSpan.Zero, Oversampling: 4, MaxIterations: 50, Seed: 7));
        return (fixture.Client.GetGrain<ILayerSliceGrain>(UwsKeys.Slice(name, layer.LayerId, SketchMode.Rows, 0)), configuration);
    }

    /// <summary>The snapshot holds what <paramref name="control"/> absorbed: counts, the exact Gram and the mean.</summary>
    private static async Task AssertSameSketchAsync(ILayerSliceGrain control, SliceSnapshot snapshot, int models)
    {
        var expected = await control.GetSnapshotAsync();
        Assert.Equal((models, expected.RowCount, expected.IndependentRows), (snapshot.ModelCount, snapshot.RowCount, snapshot.IndependentRows));
        var backend = new ManagedBlasBackend();
        using var actualSketch = (ExactGramSketch)SketchSerializer.Deserialize(snapshot.Sketch.Bytes, backend);
        using var expectedSketch = (ExactGramSketch)SketchSerializer.Deserialize(expected.Sketch.Bytes, backend);
        Assert.Equal((expectedSketch.RowCount, expectedSketch.UnitCount), (actualSketch.RowCount, actualSketch.UnitCount));
        int d = expectedSketch.Dimension;
        var a = new double[d * d];
        var b = new double[d * d];
        actualSketch.CopyGram(a);
        expectedSketch.CopyGram(b);
        double scale = b.Max(Math.Abs);
        Assert.All(Enumerable.Range(0, d * d), i => Assert.True(Math.Abs(a[i] - b[i]) <= 1e-9 * scale, $"Gram[{i}]: {a[i]} vs {b[i]}"));
        var meanA = new double[d];
        var meanB = new double[d];
        actualSketch.CopyMean(meanA);
        expectedSketch.CopyMean(meanB);
        Assert.All(Enumerable.Range(0, d), i => Assert.True(Math.Abs(meanA[i] - meanB[i]) <= 1e-9 * (1 + Math.Abs(meanB[i])), $"mean[{i}]"));
    }

    /// <summary>Calls back on every answer, on the thread that reports it.</summary>
    private sealed class Counter(Action answered) : IProgress<SubmitResult>
    {
        public void Report(SubmitResult value) => answered();
    }
}
