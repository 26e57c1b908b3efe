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
        var pool = Memory();
        var ledger = new BodyLedger();
        var batch = ledger.Take(Seal(pool, ["{\"a\":1}", "{\"b\":2}"]));
        var part = ledger.Take(batch.Slice(1, 1));
        Assert.Equal(2, ledger.Held);
        long bothHeld = pool.SmallPoolInUseSize;
        Assert.True(bothHeld > 0);

        ledger.Release(part);
        Assert.Equal(1, ledger.Held);
        Assert.InRange(pool.SmallPoolInUseSize, 1, bothHeld - 1);
        ledger.Release(batch);
        Assert.Equal(0, ledger.Held);
        Assert.Equal(0, pool.SmallPoolInUseSize);
    }
}
