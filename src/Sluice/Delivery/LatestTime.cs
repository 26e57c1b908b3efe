namespace Sluice.Delivery;

/// <summary>A timestamp that only moves forward, whatever order concurrent writers come in.</summary>
internal static class LatestTime
{
    /// <summary>Sets <paramref name="location"/> to <paramref name="value"/> unless it holds a later one already.</summary>
    public static void Raise(ref long location, long value)
    {
        long seen = Volatile.Read(ref location);
        while (value > seen && Interlocked.CompareExchange(ref location, value, seen) is var was && was != seen)
            seen = was;
    }
}
