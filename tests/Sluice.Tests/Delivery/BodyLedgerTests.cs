using Sluice.Batching;
using Sluice.Delivery;
using static Sluice.Tests.Support.TestBatches;

namespace Sluice.Tests.Delivery;

/// <summary>The count of batch bodies delivery holds is what makes a leaked buffer visible to tests.</summary>
public class BodyLedgerTests
{
    [Fact]
    public void Releasing_through_the_ledger_returns_the_memory_and_the_count()
    {
        var pool = new SegmentPool(maxRetained: 64);
        var ledger = new BodyLedger();
        var batch = ledger.Take(Seal(pool, ["{\"a\":1}", "{\"b\":2}"]));
        var part = ledger.Take(batch.Slice(1, 1));
        Assert.Equal(2, ledger.Held);
        Assert.Equal(0, pool.FreeCount);

        ledger.Release(part);
        Assert.Equal(1, ledger.Held);
        Assert.Equal(1, pool.FreeCount);
        ledger.Release(batch);
        Assert.Equal(0, ledger.Held);
        Assert.Equal(2, pool.FreeCount);
    }
}
