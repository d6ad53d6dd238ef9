using OrleansUws.Coordinator.Http;
using OrleansUws.Grains.Interfaces;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>τ: a layer's version is published only when its basis moved more than τ from the last published one.</summary>
public sealed class PublicationGateTests
{
    [Fact]
    public void Publishes_only_versions_that_moved_more_than_tau_since_the_last_published()
    {
        var gate = new PublicationGate(0.1);
        Assert.True(gate.NeedsBasis);
        Assert.True(gate.TryPublish(Info(1, 1), Rotated(1, 0.0)));
        Assert.False(gate.TryPublish(Info(2, 1), Rotated(2, 0.05)));  // sin θ 0.05 ≤ τ
        Assert.False(gate.TryPublish(Info(3, 1), Rotated(3, 0.09)));  // still measured from version 1, not from version 2
        Assert.True(gate.TryPublish(Info(4, 1), Rotated(4, 0.15)));   // 0.15 > τ
        Assert.Equal(4, gate.LastVersion("l0", SketchMode.Rows));
        Assert.False(gate.TryPublish(Info(5, 1), Rotated(5, 0.2)));   // sin θ to version 4 is ≈ 0.05
        Assert.False(gate.TryPublish(Info(4, 1), Rotated(4, 0.9)));   // not newer
        Assert.True(gate.TryPublish(Info(6, 2), Plane(6)));           // k changed: always a move
        Assert.True(gate.TryPublish(Info(1, 1, "l1"), Rotated(1, 0)));  // layers are independent
    }

    [Fact]
    public void Tau_zero_publishes_every_newer_version_once()
    {
        var gate = new PublicationGate(0);
        Assert.False(gate.NeedsBasis);
        Assert.True(gate.TryPublish(Info(1, 1), null));
        Assert.False(gate.TryPublish(Info(1, 1), null));
        Assert.True(gate.TryPublish(Info(3, 1), null));
        Assert.False(gate.TryPublish(Info(2, 1), null));
        Assert.True(gate.TryPublish(Info(2, 1, mode: SketchMode.Columns), null));
    }

    [Fact]
    public void Movement_is_the_sine_of_the_largest_principal_angle()
    {
        Assert.Equal(0.3, PublicationGate.Movement(Rotated(1, 0), Rotated(2, 0.3)), 6);
        Assert.Equal(1.0, PublicationGate.Movement(Rotated(1, 0), Plane(2)));
    }

    private static BasisVersionInfo Info(int version, int rank, string layer = "l0", SketchMode mode = SketchMode.Rows) =>
        new("f", layer, mode, version, version, version, rank, false, 0.9, 0, null, false, TimeSpan.Zero, DateTimeOffset.UnixEpoch, BasisTrigger.OnDemand);

    /// <summary>One unit vector in R⁴ at angle asin(<paramref name="sine"/>) from e₁, in the e₁e₂ plane.</summary>
    private static LayerBasis Rotated(int version, double sine) =>
        new(Info(version, 1), 4, [(float)Math.Sqrt(1 - (sine * sine)), (float)sine, 0, 0], [1.0], null);

    private static LayerBasis Plane(int version) => new(Info(version, 2), 4, [1, 0, 0, 0, 0, 0, 1, 0], [1.0, 0.5], null);
}
