using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Metrics;
using Xunit;

namespace OrleansUws.Cluster.Tests.Admission;

/// <summary>
/// All-or-nothing admission on a corpus of broken models mixed with good ones: no broken model changes any basis (exact
/// Gram: equal to a fleet of the good ones alone), each is named with its reason, and once fixed and re-submitted the
/// bases equal a clean fleet of all of them.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BrokenCorpusTests(ClusterFixture fixture)
{
    private static readonly SketchMode[] Modes = [SketchMode.Rows, SketchMode.Columns];

    private static readonly FleetConfiguration Configuration = new(
        Modes: Modes,
        Sketch: new SketchSettings(16, 1024),
        Basis: new BasisPolicy(3, 0.9, 3, 0, TimeSpan.Zero, 5, 50, 3),
        ArchitectureQuorum: 3,
        OutlierFactor: 100);

    [Fact]
    public async Task Broken_models_change_no_basis_are_named_with_their_reasons_and_once_fixed_are_absorbed()
    {
        var corpus = BrokenCorpus.Create(Path.Combine(fixture.Root, "broken-corpus"), seed: 61);
        var layers = corpus.LayerIds;
        var fleet = await ConfiguredAsync("corpus");
        var found = ModelDiscovery.Scan([corpus.Folder]);
        Assert.Equal(["no-config", "not-a-model.safetensors"], found.Skipped.Select(s => Path.GetFileName(s.Path)));

        // Everything but the outlier at once (the wrong shape sorts first; three good models agree on the architecture),
        // then the outlier, once the fleet has a median to compare it with. The folder without adapter_config.json,
        // which discovery skips, is submitted by hand like an API client would.
        var outlier = found.Models.Single(m => m.ModelId == "zz-huge-outlier");
        var first = found.Models.Where(m => m != outlier).Append(new ModelSource("no-config", Path.Combine(corpus.Folder, "no-config")));
        await Task.WhenAll(first.Select(m => fleet.SubmitAsync(new ModelReference(m.ModelId, m.Location))));
        await fleet.SubmitAsync(new ModelReference(outlier.ModelId, outlier.Location));

        Assert.True(
            new ModelCounts(0, BrokenCorpus.GoodCount, 8, 1) == (await fleet.GetDescriptionAsync()).Counts,
            string.Join("\n", (await fleet.GetModelsAsync()).Where(r => r.Status != ModelStatus.Absorbed).Select(r => $"{r.ModelId}: {r.Status} {r.Reason}")));
        var records = (await fleet.GetModelsAsync()).Where(r => r.Status != ModelStatus.Absorbed).ToDictionary(r => r.ModelId);
        Assert.Equal(corpus.BrokenIds, records.Keys.Order(StringComparer.Ordinal));
        var wide = corpus.Spec.Layers[0];
        AssertReason(records, "aaa-wrong-shape", ModelStatus.Rejected, wide.LayerId, $"{wide.OutFeatures}×{wide.InFeatures + 8}", $"{wide.OutFeatures}×{wide.InFeatures}");
        AssertReason(records, "bad-truncated", ModelStatus.Rejected, "bad-truncated");
        AssertReason(records, "bad-header", ModelStatus.Rejected, "bad-header");
        AssertReason(records, "bad-dtype", ModelStatus.Rejected, "bad-dtype", "I32");
        AssertReason(records, "bad-nan-last-layer", ModelStatus.Rejected, $"{layers[^1]}.lora_B.weight", "is not finite");
        AssertReason(records, "bad-inf-first-layer", ModelStatus.Rejected, $"{layers[0]}.lora_A.weight", "is not finite");
        AssertReason(records, "bad-overflow", ModelStatus.Rejected, layers[^1], "overflow");
        AssertReason(records, "no-config", ModelStatus.Rejected, "no-config", "neither model.safetensors.index.json nor model.safetensors");
        AssertReason(records, "zz-huge-outlier", ModelStatus.Quarantined, layers[^1], "median");

        var good = await ConfiguredAsync("corpus-good");
        await Task.WhenAll(ModelDiscovery.Discover([corpus.GoodFolder]).Select(m => good.SubmitAsync(new ModelReference(m.ModelId, m.Location))));
        await AssertSameBasesAsync("corpus", "corpus-good", layers, BrokenCorpus.GoodCount);

        // Fixed files under the same ids: admitted afresh (new content), absorbed by every layer.
        corpus.Fix();
        var resubmitted = await Task.WhenAll(corpus.BrokenIds.Select(id => fleet.SubmitAsync(new ModelReference(id, Path.Combine(corpus.Folder, id)))));
        Assert.All(resubmitted, r => Assert.True(r.Status == ModelStatus.Absorbed, $"{r.ModelId}: {r.Status} {r.Reason}"));
        var all = await ConfiguredAsync("corpus-all");
        await Task.WhenAll(ModelDiscovery.Discover([corpus.AllFolder]).Select(m => all.SubmitAsync(new ModelReference(m.ModelId, m.Location))));
        await AssertSameBasesAsync("corpus", "corpus-all", layers, BrokenCorpus.GoodCount + 9);

        // A different file under an absorbed id is refused, and the absorbed record stays.
        var replaced = await fleet.SubmitAsync(new ModelReference("bad-header", corpus.Originals["bad-truncated"]));
        Assert.Equal(ModelStatus.Rejected, replaced.Status);
        Assert.True(replaced.AlreadyKnown);
        Assert.Contains("delete the absorbed model first", replaced.Reason);
        Assert.Equal(ModelStatus.Absorbed, (await fleet.GetModelAsync("bad-header"))!.Status);
        Assert.True((await fleet.SubmitAsync(new ModelReference("bad-header", Path.Combine(corpus.Folder, "bad-header")))).AlreadyKnown);
    }

    private async Task<IFleetGrain> ConfiguredAsync(string name)
    {
        var fleet = fixture.Client.GetGrain<IFleetGrain>(name);
        await fleet.ConfigureAsync(Configuration);
        return fleet;
    }

    private static void AssertReason(Dictionary<string, ModelRecord> records, string id, ModelStatus status, params string[] parts)
    {
        var record = records[id];
        Assert.True(record.Status == status, $"{id}: {record.Status} {record.Reason}");
        foreach (var part in parts)
        {
            Assert.True(record.Reason!.Contains(part, StringComparison.Ordinal), $"{id}: '{part}' not in: {record.Reason}");
        }
    }

    private async Task AssertSameBasesAsync(string fleet, string reference, IEnumerable<string> layers, int models)
    {
        foreach (var layer in layers)
        {
            foreach (var mode in Modes)
            {
                var actual = fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(fleet, layer, mode));
                var expected = fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(reference, layer, mode));
                await actual.ComputeNowAsync();
                await expected.ComputeNowAsync();
                var a = (await actual.GetBasisAsync())!;
                var b = (await expected.GetBasisAsync())!;
                Assert.Equal(models, a.Info.ModelCount);
                Assert.Equal(models, b.Info.ModelCount);
                var k = b.SingularValues.Length;
                Assert.Equal(k, a.SingularValues.Length);
                var sinTheta = SubspaceMetrics.SinThetaMax(a.Vectors, k, b.Vectors, k, a.Dimension);
                Assert.True(sinTheta <= 1e-6, $"{layer} ({mode}): sin θ = {sinTheta:E2}");
            }
        }
    }
}
