using Sluice.Producing;
using Sluice.Tests.Support;

namespace Sluice.Tests.Producing;

/// <summary>The arena pool grows off the calling thread: a reserve made up front, topped up by a thread-pool item.</summary>
public class ArenaPoolTests
{
    private const int Entries = 16;

    [Fact]
    public void A_prefilled_pool_holds_its_reserve_and_renting_it_allocates_nothing_on_the_calling_thread()
    {
        var pool = new ArenaPool(maxRetained: 64, Entries, reserve: 8).Prefilled();
        Assert.Equal(8, pool.FreeCount);
        var owner = new object();

        long before = GC.GetAllocatedBytesForCurrentThread();
        var chunk = pool.Rent(owner);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(Entries, chunk.Entries.Length);
    }

    [Fact]
    public async Task A_rent_that_leaves_less_than_the_reserve_tops_it_up_in_the_background()
    {
        var pool = new ArenaPool(maxRetained: 64, Entries, reserve: 8).Prefilled();
        var owner = new object();
        var rented = Enumerable.Range(0, 6).Select(_ => pool.Rent(owner)).ToList();

        await Eventually.True(() => pool.FreeCount == 8, "the reserve was made again");
        Assert.Equal(6, rented.Distinct().Count());
    }

    [Fact]
    public void Growth_stops_at_the_retention()
    {
        var pool = new ArenaPool(maxRetained: 4, Entries, reserve: 4).Prefilled();
        var owner = new object();
        var rented = Enumerable.Range(0, 4).Select(_ => pool.Rent(owner)).ToList();

        // Four made, four rented: the retention is reached, no growth is queued.
        Assert.False(pool.Growing);
        Assert.Equal(0, pool.FreeCount);

        // An empty pool still serves a caller: it makes the chunk itself.
        var extra = pool.Rent(owner);
        Assert.DoesNotContain(extra, rented);

        // Returned, they fill the pool up to its retention, and no further.
        foreach (var chunk in rented.Append(extra))
            pool.Return(chunk);
        Assert.Equal(4, pool.FreeCount);
    }

    [Fact]
    public void A_pool_without_a_reserve_makes_chunks_only_when_rented()
    {
        var pool = new ArenaPool(maxRetained: 64, Entries).Prefilled();
        Assert.Equal(0, pool.FreeCount);
        pool.Rent(new object());
        Assert.Equal(0, pool.FreeCount);
    }

    [Theory]
    [InlineData(256, 16)]
    [InlineData(8, 8)]
    public void The_engines_reserve_is_16_chunks_or_the_whole_retention_if_smaller(int retention, int reserve)
        => Assert.Equal(reserve, ArenaPool.ReserveFor(retention));
}
