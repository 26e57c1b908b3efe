using System.Buffers;
using System.Text;
using Sluice.Batching;
using Sluice.Tests.Support;
using static Sluice.Tests.Support.TestBatches;

namespace Sluice.Tests.Delivery;

/// <summary>Sub-batches cut from a sealed batch, and the once-only settlement and release of its memory.</summary>
public class SettlementTests
{
    [Fact]
    public void A_slice_holds_exactly_its_events_in_a_fresh_envelope()
    {
        var batch = Seal(Memory(), ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "{\"d\":4}"]);

        var middle = batch.Slice(1, 2);
        Assert.Equal("[{\"b\":2},{\"c\":3}]", Encoding.UTF8.GetString(middle.Body.ToArray()));
        Assert.Equal(2, middle.EventCount);
        Assert.Equal(batch.Sequence, middle.Sequence);
        Assert.Equal("{\"c\":3}", Encoding.UTF8.GetString(middle.GetEvent(1).ToArray()));
        Assert.Equal(middle.Length, batch.RangeLength(1, 2));
        Assert.Equal(Encoding.UTF8.GetString(batch.Body.ToArray()).Length, batch.RangeLength(0, 4));
    }

    [Fact]
    public void Memory_is_returned_once_however_often_release_is_called()
    {
        var memory = Memory();
        var batch = Seal(memory, [.. Enumerable.Range(0, 3_000).Select(i => $"{{\"i\":{i},\"pad\":\"{new string('x', 40)}\"}}")]);
        var slice = batch.Slice(0, 1_500);
        int segments = 0;
        foreach (var _ in batch.Body)
            segments++;
        foreach (var _ in slice.Body)
            segments++;
        Assert.True(segments >= 4, $"the test needs multi-block bodies ({segments})");
        Assert.Equal(segments * (long)BatchMemory.BlockSize, memory.SmallPoolInUseSize);

        slice.Release();
        slice.Release();
        batch.Release();
        batch.Release();
        Assert.Equal(0, memory.SmallPoolInUseSize);
        Assert.Equal(segments, memory.SmallBlocksFree);
    }

    [Fact]
    public void Each_event_is_settled_once_whoever_claims_it()
    {
        var batch = Seal(Memory(), ["{}", "{}", "{}", "{}", "{}"]);
        Assert.True(batch.TrySettle(2, out bool finished));
        Assert.False(finished);
        Assert.Equal(3, batch.SettleRemaining()); // a forced shutdown takes the rest
        Assert.False(batch.TrySettle(3, out _));   // the sender comes back too late
        Assert.Equal(0, batch.SettleRemaining());
    }

    [Fact]
    public void The_last_claim_finishes_the_batch()
    {
        var batch = Seal(Memory(), ["{}", "{}", "{}"]);
        Assert.True(batch.TrySettle(1, out bool first));
        Assert.True(batch.TrySettle(2, out bool last));
        Assert.False(first);
        Assert.True(last);
    }
}
