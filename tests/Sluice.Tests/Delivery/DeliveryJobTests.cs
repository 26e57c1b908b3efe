using Sluice.Delivery;
using static Sluice.Tests.Support.TestBatches;

namespace Sluice.Tests.Delivery;

/// <summary>A job's pending ranges: the whole batch, then the halves of each split, left first, until every one is settled.</summary>
public class DeliveryJobTests
{
    [Fact]
    public void Once_every_half_of_a_split_is_settled_the_job_has_nothing_left()
    {
        var job = new DeliveryJob(Seal(Memory(), [.. Enumerable.Repeat("{}", 4)], sequence: 0));
        job.Split();                                   // [0,2) on top, [2,4) below

        Assert.True(job.TryPeek(out var top));
        Assert.Equal((0, 2), (top.Start, top.Count));
        job.Pop();
        Assert.True(job.TryPeek(out top));
        Assert.Equal((2, 2), (top.Start, top.Count));
        job.Pop();                                     // the stack of halves is empty now, not absent

        Assert.False(job.TryPeek(out _));
    }
}
