using Sluice.Diagnostics;

namespace Sluice.Tests.Diagnostics;

public class EngineCountersTests
{
    [Fact]
    public void A_snapshot_reads_the_accepted_count_after_the_terminal_ones_so_InFlight_is_never_negative()
    {
        // While a snapshot is taken, an event is accepted and delivered at once (a fast sender). Read before the
        // terminal counts, the accepted count would miss it while Delivered counts it: InFlight −1. Read after, the
        // event is at worst in flight.
        var counters = new EngineCounters();
        var snapshot = counters.Snapshot(static state =>
        {
            var (live, total) = state;
            Interlocked.Increment(ref total[0]);
            Interlocked.Increment(ref live.Delivered);
            return Volatile.Read(ref total[0]);
        }, (counters, new long[1]));

        Assert.Equal(1, snapshot.Accepted);
        Assert.Equal(0, snapshot.Delivered);
        Assert.Equal(1, snapshot.InFlight);
    }
}
