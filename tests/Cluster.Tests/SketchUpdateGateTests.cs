using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Options;
using Xunit;

namespace OrleansUws.Cluster.Tests;

public sealed class SketchUpdateGateTests
{
    private static SketchUpdateGate Gate(int slots) =>
        new(Microsoft.Extensions.Options.Options.Create(new UwsClusterOptions { MaxConcurrentSketchUpdates = slots }));

    [Fact]
    public void Zero_slots_means_one_per_processor()
    {
        using var gate = Gate(0);
        Assert.Equal(Environment.ProcessorCount, gate.Slots);
    }

    [Fact]
    public async Task A_caller_beyond_the_slots_waits_until_one_is_given_back_once()
    {
        using var gate = Gate(2);
        var first = await gate.EnterAsync(TestContext.Current.CancellationToken);
        var second = await gate.EnterAsync(TestContext.Current.CancellationToken);
        var third = gate.EnterAsync(TestContext.Current.CancellationToken);
        Assert.False(third.IsCompleted);

        first.Dispose();
        first.Dispose();
        using var thirdSlot = await TestWait.WithTimeout(third, "the third caller gets the freed slot");
        var fourth = gate.EnterAsync(TestContext.Current.CancellationToken);
        Assert.False(fourth.IsCompleted); // the double dispose gave back one slot, not two

        second.Dispose();
        (await TestWait.WithTimeout(fourth, "the fourth caller gets the second slot")).Dispose();
    }
}
