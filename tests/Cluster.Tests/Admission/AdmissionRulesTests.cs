using OrleansUws.Grains.Admission;
using OrleansUws.Grains.Interfaces;
using Xunit;

namespace OrleansUws.Cluster.Tests.Admission;

/// <summary>The registry's plain admission parts, without a cluster: quorum and outlier baseline.</summary>
public sealed class AdmissionRulesTests
{
    private static readonly Dictionary<string, LayerShape> Good = new() { ["q"] = new(48, 32), ["v"] = new(24, 32) };
    private static readonly Dictionary<string, LayerShape> Wide = new() { ["q"] = new(48, 40), ["v"] = new(24, 32) };

    [Fact]
    public async Task The_quorum_waits_for_agreeing_models_and_a_first_model_that_disagrees_does_not_decide()
    {
        var quorum = new ArchitectureQuorum(3);
        var wrong = quorum.WaitAsync("aaa", Wide);
        var first = quorum.WaitAsync("m1", Good);
        var second = quorum.WaitAsync("m2", Good);
        Assert.False(wrong.IsCompleted);
        Assert.Equal(3, quorum.Waiting);

        var third = quorum.WaitAsync("m3", Good);

        foreach (var decided in new[] { wrong, first, second, third })
        {
            Assert.True(ArchitectureQuorum.Same(Good, await decided));
        }

        Assert.Equal(0, quorum.Waiting);
        Assert.Equal("aaa: tensor 'q': layer shape 48×40 differs from the fleet's 48×32", AdmissionRules.Mismatch(Good, Wide, "aaa"));
        Assert.Null(AdmissionRules.Mismatch(Good, Good, "m1"));
    }

    [Fact]
    public async Task Without_a_quorum_the_largest_group_wins_and_ties_go_to_the_first_arrival()
    {
        var quorum = new ArchitectureQuorum(5);
        var a = quorum.WaitAsync("w1", Wide);
        var b = quorum.WaitAsync("g1", Good);
        quorum.DecideByMajority();
        Assert.True(ArchitectureQuorum.Same(Wide, await b));

        var c = quorum.WaitAsync("w2", Wide);
        var d = quorum.WaitAsync("g2", Good);
        var e = quorum.WaitAsync("g3", Good);
        quorum.DecideByMajority();
        Assert.True(ArchitectureQuorum.Same(Good, await c));
        Assert.True(ArchitectureQuorum.Same(Wide, await a));
    }

    [Fact]
    public void The_baseline_quarantines_a_layer_far_above_the_fleet_median_once_it_has_seen_enough_models()
    {
        var baseline = new LayerNormBaseline();
        var huge = new Dictionary<string, double> { ["q"] = 2.0, ["v"] = 1_000.0 };
        for (var i = 0; i < LayerNormBaseline.MinimumModels; i++)
        {
            Assert.Null(baseline.Judge(huge, 100)); // too few models to judge
            baseline.Add($"m{i}", new Dictionary<string, double> { ["q"] = 1.0 + (i * 0.1), ["v"] = 2.0 + (i * 0.1) });
        }

        Assert.Equal("layer 'v': norm 1000 is 426× the fleet's median 2.35 (quarantine above 100×)", baseline.Judge(huge, 100));
        Assert.Null(baseline.Judge(huge, 0));
        Assert.Null(baseline.Judge(new Dictionary<string, double> { ["q"] = 100.0, ["v"] = 200.0 }, 100));
    }

    [Fact]
    public void The_baseline_keeps_a_bounded_sample_per_layer()
    {
        var baseline = new LayerNormBaseline();
        for (var i = 0; i < 10_000; i++)
        {
            baseline.Add($"m{i}", new Dictionary<string, double> { ["q"] = 1.0 });
        }

        Assert.Equal(10_000, baseline.Models);
        Assert.Equal(LayerNormBaseline.Capacity, baseline.Samples["q"].Count);
    }
}
