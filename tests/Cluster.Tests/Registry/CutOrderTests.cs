using OrleansUws.Grains.Registry;
using Xunit;

namespace OrleansUws.Cluster.Tests.Registry;

/// <summary>The registry's fan-outs in version-cut order: a model waits only for models of earlier cuts still unsent.</summary>
public sealed class CutOrderTests
{
    [Fact]
    public void A_model_is_sent_after_every_model_of_an_earlier_cut_and_never_waits_for_its_own_or_a_later_cut()
    {
        var order = new CutOrder();
        var first = order.Enter(1);
        var second = order.Enter(1);
        var next = order.Enter(2);
        var later = order.Enter(3);
        var uncut = order.Enter(0);

        Assert.True(first.EarlierSentAsync().IsCompleted);
        Assert.True(second.EarlierSentAsync().IsCompleted);
        Assert.True(uncut.EarlierSentAsync().IsCompleted);
        var nextReady = next.EarlierSentAsync();
        var laterReady = later.EarlierSentAsync();

        // One of cut 1's models is sent (twice said: counted once); the other still holds cut 2 back.
        first.Done();
        first.Done();
        Assert.False(nextReady.IsCompleted);

        // A model of cut 1 that leaves without being sent (rejected) releases cut 2; cut 3 waits for cut 2's model.
        second.Done();
        Assert.True(nextReady.IsCompleted);
        Assert.False(laterReady.IsCompleted);
        next.Done();
        Assert.True(laterReady.IsCompleted);

        // A model of an earlier cut arriving after a later one was sent is not held back.
        var straggler = order.Enter(2);
        Assert.True(straggler.EarlierSentAsync().IsCompleted);
        straggler.Done();
        later.Done();
        uncut.Done();
        Assert.True(order.Enter(7).EarlierSentAsync().IsCompleted);
    }
}
