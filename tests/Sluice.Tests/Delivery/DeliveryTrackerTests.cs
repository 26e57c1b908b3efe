using Sluice.Delivery;

namespace Sluice.Tests.Delivery;

/// <summary>A flush waits for every batch sealed before it, however out of order they finish.</summary>
public class DeliveryTrackerTests
{
    [Fact]
    public void Batches_finishing_out_of_order_complete_a_wait_only_when_none_before_is_missing()
    {
        var tracker = new DeliveryTracker();
        Assert.True(tracker.WhenFinished(0).IsCompleted);
        var two = tracker.WhenFinished(2);
        var three = tracker.WhenFinished(3);

        tracker.Finish(1);
        tracker.Finish(2);
        Assert.False(two.IsCompleted);
        tracker.Finish(0);
        Assert.True(two.IsCompleted);
        Assert.True(three.IsCompleted);
        Assert.True(tracker.WhenFinished(3).IsCompleted);
        Assert.False(tracker.WhenFinished(4).IsCompleted);
    }

    [Fact]
    public void At_the_end_of_a_shutdown_every_wait_is_released()
    {
        var tracker = new DeliveryTracker();
        var wait = tracker.WhenFinished(5);
        tracker.Finish(0);
        Assert.False(wait.IsCompleted);
        tracker.ReleaseAll();
        Assert.True(wait.IsCompleted);
    }
}
