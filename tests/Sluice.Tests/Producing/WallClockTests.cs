using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using Sluice.Producing;

namespace Sluice.Tests.Producing;

/// <summary>
/// The timestamp a call stamps without a TimeProvider of its own: the system clock, extrapolated from
/// the cycle counter between anchors. The arithmetic is driven with a simulated machine (a counter at
/// a known rate, a monotonic clock, a wall clock that may be stepped); the real clock is checked
/// against DateTime.UtcNow read around it.
/// </summary>
public class WallClockTests
{
    private const long Ms = TimeSpan.TicksPerMillisecond;

    /// <summary>A simulated machine at true time T (DateTime ticks since it started).</summary>
    private sealed class Machine(ulong counterAtStart, double countsPerTick, long utcAtStart)
    {
        public long T;
        public long WallStep; // added to the wall clock only: NTP or an operator setting it
        public ulong CounterJump; // added to the counter only: a reset or a migration
        public double Rate = countsPerTick;

        public ulong Counter(long t) => counterAtStart + CounterJump + (ulong)(t * Rate);

        public long Utc(long t) => utcAtStart + t + WallStep;

        /// <summary>What WallClock does: extrapolate, or read the clocks between two counter reads and re-anchor.</summary>
        public long Read(ref ClockAnchor anchor, long pairingTicks = 0)
        {
            if (anchor.TryExtrapolate(Counter(T), out long ticks))
                return ticks;
            long mid = T + (pairingTicks / 2);
            anchor = anchor.Next(Counter(T), Counter(T + pairingTicks), 1_000_000 + mid, Utc(mid));
            return Utc(mid);
        }

        public ClockAnchor Start() => default(ClockAnchor).Next(Counter(T), Counter(T), 1_000_000 + T, Utc(T));
    }

    [Fact]
    public void An_anchor_serves_nothing_until_two_measurements_of_the_rate_agree()
    {
        var m = new Machine(123_456_789, countsPerTick: 300, utcAtStart: 638_000_000_000_000_000);
        var anchor = default(ClockAnchor);
        Assert.False(anchor.TryExtrapolate(m.Counter(0), out _));
        anchor = m.Start();
        Assert.False(anchor.TryExtrapolate(m.Counter(0), out _));

        // Pairings 3 ms apart: a measurement spans at least 10 ms, so the first ends at 12 ms, the second at 24.
        for (m.T = 3 * Ms; m.T <= 24 * Ms; m.T += 3 * Ms)
        {
            Assert.Equal(0, anchor.TicksPerCount);
            Assert.Equal(m.Utc(m.T), m.Read(ref anchor));
        }

        Assert.Equal(1.0 / 300, anchor.TicksPerCount, 1e-12);
        m.T += 7 * Ms;
        Assert.True(anchor.TryExtrapolate(m.Counter(m.T), out long ticks));
        Assert.Equal(m.Utc(m.T), ticks);
    }

    [Fact]
    public void An_anchor_serves_50_ms_after_it_and_nothing_before_it()
    {
        var m = new Machine(0, countsPerTick: 21, utcAtStart: 638_000_000_000_000_000);
        var anchor = Calibrated(m);
        long at = m.T;

        Assert.False(anchor.TryExtrapolate(m.Counter(at) - 1, out _));
        Assert.True(anchor.TryExtrapolate(m.Counter(at + ClockAnchor.ServesTicks - 1), out long last));
        Assert.Equal(m.Utc(at + ClockAnchor.ServesTicks - 1), last);
        Assert.False(anchor.TryExtrapolate(m.Counter(at + ClockAnchor.ServesTicks + 1), out _));
    }

    [Fact]
    public void A_step_of_the_wall_clock_shows_at_the_next_anchor()
    {
        var m = new Machine(5_000, countsPerTick: 300, utcAtStart: 638_000_000_000_000_000);
        var anchor = Calibrated(m);
        m.WallStep = TimeSpan.TicksPerHour;

        m.T += 10 * Ms;
        Assert.Equal(m.Utc(m.T) - TimeSpan.TicksPerHour, m.Read(ref anchor)); // still the old anchor's time
        m.T += ClockAnchor.ServesTicks;
        Assert.Equal(m.Utc(m.T), m.Read(ref anchor)); // re-anchored: the clock itself
        m.T += 10 * Ms;
        Assert.Equal(m.Utc(m.T), m.Read(ref anchor)); // and extrapolated from it
    }

    [Fact]
    public void A_counter_that_goes_back_or_changes_rate_is_measured_afresh()
    {
        var m = new Machine(1UL << 40, countsPerTick: 300, utcAtStart: 638_000_000_000_000_000);
        var anchor = Calibrated(m);

        m.T += ClockAnchor.ServesTicks;
        m.CounterJump = unchecked((ulong)-(1L << 39));
        m.Read(ref anchor);
        Assert.Equal(0, anchor.TicksPerCount);
        anchor = Calibrated(m);

        // 10% faster from now on (its count jumps too, as the rate applies from the start): one
        // measurement spans the change, the next two agree.
        m.Rate = 330;
        for (int i = 0; i < 2; i++)
        {
            m.T += ClockAnchor.ServesTicks;
            m.Read(ref anchor);
            Assert.Equal(0, anchor.TicksPerCount);
        }

        m.T += ClockAnchor.ServesTicks;
        m.Read(ref anchor);
        Assert.Equal(1.0 / 330, anchor.TicksPerCount, 1e-12);
    }

    [Fact]
    public void A_loose_pairing_changes_nothing()
    {
        var m = new Machine(0, countsPerTick: 300, utcAtStart: 638_000_000_000_000_000);
        var anchor = Calibrated(m);
        m.T += ClockAnchor.ServesTicks + Ms;
        long read = m.Read(ref anchor, pairingTicks: ClockAnchor.MaxPairingTicks + 10);

        Assert.Equal(m.Utc(m.T + ((ClockAnchor.MaxPairingTicks + 10) / 2)), read); // the clock itself, still
        Assert.False(anchor.TryExtrapolate(m.Counter(m.T), out _)); // the expired anchor was kept
    }

    /// <summary>
    /// Any counter rate from 0.5 to 5 GHz, any start, calls at any intervals: every time served is the
    /// true time to within a tick, and none is served more than 50 ms past its anchor.
    /// </summary>
    [Fact]
    public void Extrapolated_times_are_the_true_time()
    {
        var scenarios =
            from rate in Gen.Choose(50, 500)
            from fraction in Gen.Choose(0, 999)
            from start in Gen.Choose(0, int.MaxValue)
            from gaps in Gen.ArrayOf(Gen.Frequency((8, Gen.Choose(0, 2_000)), (3, Gen.Choose(0, 200_000)), (1, Gen.Choose(0, 2_000_000))), 300)
            select (Rate: rate + (fraction / 1000.0), Start: (ulong)start << 20, Gaps: gaps);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), Prop.ForAll(Arb.From(scenarios), s =>
        {
            var m = new Machine(s.Start, s.Rate, utcAtStart: 638_000_000_000_000_000);
            var anchor = m.Start();
            long anchoredAt = 0;
            foreach (int gap in s.Gaps)
            {
                m.T += gap;
                bool served = anchor.TryExtrapolate(m.Counter(m.T), out _);
                long read = m.Read(ref anchor, pairingTicks: 2 * (gap % 6)); // even: the model reads the clocks at a whole tick
                if (served)
                {
                    Assert.InRange(read - m.Utc(m.T), -1, 1);
                    Assert.InRange(m.T - anchoredAt, 0, ClockAnchor.ServesTicks);
                }
                else
                {
                    anchoredAt = m.T + (gap % 6);
                }
            }
        }));
    }

    /// <summary>
    /// The real clock, across several anchors, read by two threads at once (so one re-anchors while
    /// the other reads): always between the system clock's readings around it.
    /// </summary>
    [Fact]
    public void The_wall_clock_reads_the_system_clock()
    {
        var reads = new long[2];
        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => reads[i] = ReadAlongsideSystemClock(3 * ClockAnchor.ServesTicks));
        Assert.All(reads, n => Assert.True(n > 1000, $"{n} reads"));
    }

    private static long ReadAlongsideSystemClock(long forTicks)
    {
        const long Tolerance = 200 * TimeSpan.TicksPerMicrosecond; // extrapolation errs by under 1 µs; NTP slew by ≤ 25 µs per anchor
        long previous = 0, reads = 0;
        var spin = Stopwatch.StartNew();
        while (spin.Elapsed.Ticks < forTicks)
        {
            long before = DateTime.UtcNow.Ticks;
            long now = WallClock.UtcNowTicks();
            long after = DateTime.UtcNow.Ticks;
            Assert.InRange(now, before - Tolerance, after + Tolerance);
            Assert.True(now >= previous - Tolerance, "time went back");
            previous = now;
            reads++;
        }

        return reads;
    }

    /// <summary>Where Linux reports a constant, non-stop TSC, the clock uses it (else Track pays the system clock's 30 ns).</summary>
    [Fact]
    public void The_cycle_counter_is_used_where_the_cpu_has_an_invariant_tsc()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo"))
            return;
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(' ') ?? [];
        bool invariant = flags.Contains("constant_tsc") && flags.Contains("nonstop_tsc");
        Assert.Equal(invariant && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64,
            WallClock.UsesCycleCounter);
    }

    private static ClockAnchor Calibrated(Machine m)
    {
        var anchor = m.Start();
        for (int i = 0; i < 2; i++)
        {
            m.T += ClockAnchor.MinRateSpanTicks;
            m.Read(ref anchor);
        }

        Assert.True(anchor.TicksPerCount > 0);
        return anchor;
    }
}
