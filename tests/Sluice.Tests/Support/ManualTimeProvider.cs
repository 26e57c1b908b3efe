namespace Sluice.Tests.Support;

/// <summary>
/// A clock that moves only when a test says so; timers fire synchronously inside <see cref="Advance"/>, each at its due time.
/// </summary>
/// <remarks>
/// Not <c>FakeTimeProvider</c> (which the hosting tests use), for three things the engine's tests rely on: due times kept to
/// the tick (FakeTimeProvider truncates them to whole milliseconds, so a jittered retry wait under 1 ms becomes 0), a timer set
/// with a zero due time fires at the next <see cref="Advance"/> rather than inside <c>Change</c> on the caller's thread (where
/// the engine may hold a lock: <c>System.Threading.Timer</c> never calls back synchronously either), and the armed timers can be
/// read (<see cref="PendingDelays"/>), which is how a test waits for the engine to reach a wait before it moves the clock.
/// </remarks>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now;

    public ManualTimeProvider(DateTimeOffset? start = null) => _now = start ?? new DateTimeOffset(2024, 10, 20, 15, 51, 35, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
            return _now;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>How far ahead each armed timer is due, soonest first.</summary>
    public IReadOnlyList<TimeSpan> PendingDelays
    {
        get
        {
            lock (_lock)
                return _timers.Where(t => t.DueAt is not null).Select(t => t.DueAt!.Value - _now).Order().ToArray();
        }
    }

    /// <summary>Timers currently due at some point (armed).</summary>
    public int ArmedTimers
    {
        get
        {
            lock (_lock)
                return _timers.Count(t => t.DueAt is not null);
        }
    }

    /// <summary>How many timer callbacks have run.</summary>
    public int Fired => Volatile.Read(ref _fired);

    private int _fired;

    public void Advance(TimeSpan by)
    {
        DateTimeOffset target;
        lock (_lock)
            target = _now + by;

        while (true)
        {
            ManualTimer? due = null;
            lock (_lock)
            {
                foreach (var t in _timers)
                {
                    if (t.DueAt is { } at && at <= target && (due is null || at < due.DueAt))
                        due = t;
                }

                if (due is null)
                {
                    _now = target;
                    break;
                }

                _now = due.DueAt!.Value;
                due.DueAt = due.Period > TimeSpan.Zero ? _now + due.Period : null;
            }

            Interlocked.Increment(ref _fired);
            due.Fire();
        }
    }

    private sealed class ManualTimer(ManualTimeProvider clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? DueAt;
        public TimeSpan Period;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
            {
                Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : clock._now + dueTime;
                if (!clock._timers.Contains(this))
                    clock._timers.Add(this);
            }

            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock._lock)
                clock._timers.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
