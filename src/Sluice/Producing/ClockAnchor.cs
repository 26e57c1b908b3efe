namespace Sluice.Producing;

/// <summary>
/// One pairing of the cycle counter with the system clock, from which UTC time is extrapolated for
/// <see cref="ServesTicks"/>, at the counter's rate measured against the monotonic clock (which NTP
/// slews but never steps). A rate is served only once two measurements in a row agree, so one bad
/// pairing (a thread preempted mid-way, a counter reset) cannot serve a wrong time. Pure arithmetic
/// on readings it is given: tests drive it with made-up ones. The default value is not started.
/// </summary>
internal readonly struct ClockAnchor
{
    /// <summary>How long one anchor serves: a step of the wall clock (NTP, an operator) shows within this.</summary>
    public const long ServesTicks = 50 * TimeSpan.TicksPerMillisecond;

    /// <summary>The shortest span the rate is measured over: a few tens of ns of reading skew is then a few ppm.</summary>
    public const long MinRateSpanTicks = 10 * TimeSpan.TicksPerMillisecond;

    /// <summary>How far (relative) two measurements of the rate may differ and still agree.</summary>
    public const double MaxRateChange = 0.001;

    /// <summary>A pairing whose two counter reads are further apart than this (the thread was preempted) is not used.</summary>
    public const long MaxPairingTicks = 20; // 2 µs

    private readonly bool _started;
    private readonly double _measured;        // the last measured rate, agreed or not; 0: none yet
    private readonly ulong _rateCounter;      // where the rate's current measurement began
    private readonly long _rateMonotonicTicks;

    private ClockAnchor(ulong counter, long utcTicks, double served, double measured, ulong rateCounter, long rateMonotonicTicks)
    {
        _started = true;
        Counter = counter;
        UtcTicks = utcTicks;
        TicksPerCount = served;
        ValidCounts = served > 0 ? (ulong)(ServesTicks / served) : 0;
        _measured = measured;
        _rateCounter = rateCounter;
        _rateMonotonicTicks = rateMonotonicTicks;
    }

    /// <summary>The counter at the pairing.</summary>
    public ulong Counter { get; }

    /// <summary>The system clock at the pairing.</summary>
    public long UtcTicks { get; }

    /// <summary>DateTime ticks per count, as served; 0 until two measurements agree.</summary>
    public double TicksPerCount { get; }

    /// <summary>Counts after <see cref="Counter"/> the anchor serves for; 0 while no rate is served.</summary>
    public ulong ValidCounts { get; }

    /// <summary>UTC ticks at <paramref name="counter"/>, if this anchor serves it (not before it, not past its span).</summary>
    public bool TryExtrapolate(ulong counter, out long utcTicks)
    {
        ulong elapsed = counter - Counter; // a counter before the anchor wraps to a huge value: refused
        if (elapsed >= ValidCounts)
        {
            utcTicks = 0;
            return false;
        }

        utcTicks = UtcTicks + (long)((elapsed * TicksPerCount) + 0.5);
        return true;
    }

    /// <summary>
    /// The anchor after a fresh pairing: the system and monotonic clocks read between two counter
    /// reads. A loose pairing (the reads far apart) changes nothing; a counter that went back starts
    /// the measurement over.
    /// </summary>
    public ClockAnchor Next(ulong counterBefore, ulong counterAfter, long monotonicTicks, long utcTicks)
    {
        double rate = TicksPerCount > 0 ? TicksPerCount : _measured;
        if (counterAfter < counterBefore || (rate > 0 && (counterAfter - counterBefore) * rate > MaxPairingTicks))
            return this;

        ulong counter = counterBefore + ((counterAfter - counterBefore) / 2);
        if (!_started || counter <= _rateCounter || monotonicTicks < _rateMonotonicTicks)
            return new ClockAnchor(counter, utcTicks, 0, 0, counter, monotonicTicks);

        long span = monotonicTicks - _rateMonotonicTicks;
        if (span < MinRateSpanTicks)
            return new ClockAnchor(counter, utcTicks, TicksPerCount, _measured, _rateCounter, _rateMonotonicTicks);

        double measured = span / (double)(counter - _rateCounter);
        bool agrees = _measured > 0 && Math.Abs(measured - _measured) <= _measured * MaxRateChange;
        return new ClockAnchor(counter, utcTicks, agrees ? measured : 0, measured, counter, monotonicTicks);
    }
}
