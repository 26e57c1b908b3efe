using Sluice.Delivery;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery;

public class EndpointHoldsTests
{
    [Fact]
    public void A_hold_counts_down_on_the_clock_and_ends()
    {
        var clock = new ManualTimeProvider();
        var holds = new EndpointHolds(2, clock);
        Assert.Equal(TimeSpan.Zero, holds.Remaining(0));

        holds.Hold(0, TimeSpan.FromSeconds(20));
        Assert.Equal(TimeSpan.FromSeconds(20), holds.Remaining(0));
        Assert.Equal(TimeSpan.Zero, holds.Remaining(1)); // one endpoint's hold is its own

        clock.Advance(TimeSpan.FromSeconds(19));
        Assert.Equal(TimeSpan.FromSeconds(1), holds.Remaining(0));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, holds.Remaining(0));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.Zero, holds.Remaining(0)); // past its end, not negative
    }

    [Fact]
    public void The_longer_of_two_holds_stands_whatever_order_they_come_in()
    {
        var clock = new ManualTimeProvider();
        var holds = new EndpointHolds(1, clock);
        holds.Hold(0, TimeSpan.FromSeconds(30));
        clock.Advance(TimeSpan.FromSeconds(5));
        holds.Hold(0, TimeSpan.FromSeconds(10)); // ends at 15 s, before the first's 30 s
        Assert.Equal(TimeSpan.FromSeconds(25), holds.Remaining(0));

        holds.Hold(0, TimeSpan.FromSeconds(40)); // ends at 45 s
        Assert.Equal(TimeSpan.FromSeconds(40), holds.Remaining(0));
        holds.Hold(0, TimeSpan.Zero);
        holds.Hold(0, TimeSpan.FromSeconds(-1));
        Assert.Equal(TimeSpan.FromSeconds(40), holds.Remaining(0));
    }

    [Fact]
    public void A_wait_of_less_than_a_tick_still_ends_past_the_hold()
    {
        // A clock counting nanoseconds (Stopwatch on Linux): 50 ns left is one tick, not zero, so the waiter does not spin.
        var clock = new NanosecondClock();
        var holds = new EndpointHolds(1, clock);
        holds.Hold(0, TimeSpan.FromTicks(1));
        clock.Now += 50;
        Assert.Equal(TimeSpan.FromTicks(1), holds.Remaining(0));
        clock.Now += 50;
        Assert.Equal(TimeSpan.Zero, holds.Remaining(0));
    }

    [Fact]
    public void A_hold_is_what_the_server_asked_capped_at_the_longest_retry_wait()
    {
        var policy = new RetryPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), new FixedRandom(0.5));
        Assert.Equal(TimeSpan.FromSeconds(20), policy.Hold(TimeSpan.FromSeconds(20)));
        Assert.Equal(TimeSpan.FromSeconds(30), policy.Hold(TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromSeconds(30), policy.Hold(TimeSpan.FromHours(1)));
        Assert.Equal(TimeSpan.Zero, policy.Hold(TimeSpan.FromSeconds(-5))); // a date already past
    }

    private sealed class NanosecondClock : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;

        public override long TimestampFrequency => 1_000_000_000;

        public override long GetTimestamp() => Now;
    }
}
