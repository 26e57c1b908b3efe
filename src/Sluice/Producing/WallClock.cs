using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Sluice.Producing;

/// <summary>
/// The system clock's UTC time at the cost of a cycle-counter read: the clock read was 45% of a
/// Track call on this VM (DateTime.UtcNow 30 ns on kvm-clock, the counter 11 ns). Between anchors
/// (<see cref="ClockAnchor"/>, one every 50 ms while calls come) the time is extrapolated from the
/// counter; the call that finds its anchor expired reads the system clock itself and re-anchors.
/// Extrapolation drifts by the rate's error over one span (well under a microsecond); a step of the
/// wall clock shows at the next anchor. Without a usable counter, every read is DateTime.UtcNow.
/// </summary>
internal static class WallClock
{
    // A sequence lock around the anchor (a struct, so re-anchoring allocates nothing): odd while one
    // thread writes it. Readers check the version before and after copying it. That needs loads kept
    // in order, which x64 guarantees, and the counter is only ever x64.
    private static int s_version;
    private static ClockAnchor s_anchor; // not started: the first call starts it

    public static bool UsesCycleCounter => CycleCounter.IsAvailable;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long UtcNowTicks()
    {
        if (!CycleCounter.IsAvailable)
            return DateTime.UtcNow.Ticks;

        ulong counter = CycleCounter.Read();
        int version = Volatile.Read(ref s_version);
        var anchor = s_anchor;
        if (anchor.TryExtrapolate(counter, out long ticks) && (version & 1) == 0 && Volatile.Read(ref s_version) == version)
            return ticks;
        return Reanchor();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Reanchor()
    {
        int version = Volatile.Read(ref s_version);
        if ((version & 1) != 0 || Interlocked.CompareExchange(ref s_version, version + 1, version) != version)
            return DateTime.UtcNow.Ticks; // another thread is re-anchoring; this call reads the clock itself

        ulong before = CycleCounter.Read();
        long utc = DateTime.UtcNow.Ticks;
        long monotonic = MonotonicTicks();
        ulong after = CycleCounter.Read();
        s_anchor = s_anchor.Next(before, after, monotonic, utc);
        Volatile.Write(ref s_version, version + 2);
        return utc;
    }

    private static long MonotonicTicks() => Stopwatch.GetElapsedTime(0, Stopwatch.GetTimestamp()).Ticks;
}
