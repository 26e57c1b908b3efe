using FsCheck;
using FsCheck.Fluent;
using Sluice.Delivery;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery;

public class RetryPolicyTests
{
    private static readonly TimeSpan Base = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Probe = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(5, 1_600)]
    [InlineData(7, 6_400)]
    [InlineData(8, 10_000)]       // 12.8 s capped
    [InlineData(1_000, 10_000)]   // no overflow however many retries
    public void BackoffCeiling_doubles_from_the_base_and_stops_at_the_cap(int retry, int ceilingMs)
    {
        var policy = new RetryPolicy(Base, Max, Probe, new FixedRandom(0));
        Assert.Equal(TimeSpan.FromMilliseconds(ceilingMs), policy.BackoffCeiling(retry));
    }

    [Fact]
    public void Full_jitter_spans_zero_to_just_below_the_ceiling()
    {
        Assert.Equal(TimeSpan.Zero, new RetryPolicy(Base, Max, Probe, new FixedRandom(0)).RetryDelay(3, null));
        var highest = new RetryPolicy(Base, Max, Probe, new FixedRandom(Math.BitDecrement(1.0))).RetryDelay(3, null);
        Assert.True(highest < TimeSpan.FromMilliseconds(400) && highest > TimeSpan.FromMilliseconds(399), highest.ToString());
    }

    [Fact]
    public void RetryDelay_Meets_Specification()
    {
        // For any retry number, draw and Retry-After: the wait lies in [0, min(cap, base × 2^(retry−1))), the draw's share
        // of it; a Retry-After longer than that is waited instead, up to the cap (never negative, never shorter than the backoff).
        var property = Prop.ForAll(
            ArbMap.Default.ArbFor<(PositiveInt, NormalFloat, long?)>(),
            input =>
            {
                var (retry, draw, askedTicks) = (input.Item1.Get, Math.Abs(input.Item2.Get) % 1.0, input.Item3);
                var policy = new RetryPolicy(Base, Max, Probe, new FixedRandom(draw));
                TimeSpan? asked = askedTicks is { } t ? TimeSpan.FromTicks(t % TimeSpan.FromDays(2).Ticks) : null;
                var wait = policy.RetryDelay(retry, asked);
                var ceiling = TimeSpan.FromTicks((long)Math.Min(Max.Ticks, Base.Ticks * Math.Pow(2, Math.Min(retry - 1, 40))));
                var backoff = TimeSpan.FromTicks((long)(ceiling.Ticks * draw));
                if (asked is { } a)
                    return wait == (a > Max ? Max : a > backoff ? a : backoff);
                return wait == backoff && wait >= TimeSpan.Zero && (wait < ceiling || ceiling == TimeSpan.Zero);
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1_000), property);
    }

    [Theory]
    [InlineData(0, 60)]
    [InlineData(1, 120)]
    [InlineData(2, 240)]
    [InlineData(3, 480)]
    [InlineData(50, 480)]
    public void Probes_of_a_paused_endpoint_back_off_from_the_interval_to_eight_times_it(int probe, int ceilingSeconds)
    {
        var ceiling = TimeSpan.FromSeconds(ceilingSeconds);
        Assert.Equal(ceiling, new RetryPolicy(Base, Max, Probe, new FixedRandom(0)).ProbeCeiling(probe));
        Assert.Equal(ceiling / 2, new RetryPolicy(Base, Max, Probe, new FixedRandom(0)).ProbeDelay(probe));
        var latest = new RetryPolicy(Base, Max, Probe, new FixedRandom(Math.BitDecrement(1.0))).ProbeDelay(probe);
        Assert.InRange(latest, ceiling - TimeSpan.FromMilliseconds(1), ceiling);
    }
}
