namespace Sluice.Delivery;

/// <summary>
/// How long to wait before a retry or a probe. Pure arithmetic over the options and a random source,
/// so the bounds can be checked directly: a retry waits a random time in [0, min(maximum, base × 2^(retry−1)))
/// ("full jitter"), or what the server asked (<c>Retry-After</c>) if that is longer, capped at the maximum
/// delay; a probe of a paused endpoint waits a random time in [½d, d) with d = min(interval × 2^probe, 8 × interval).
/// </summary>
internal sealed class RetryPolicy(TimeSpan baseDelay, TimeSpan maxDelay, TimeSpan probeInterval, Random random)
{
    /// <summary>How many times the probe interval may double.</summary>
    public const int MaxProbeDoublings = 3;

    public static RetryPolicy From(SluiceOptions options)
        => new(options.RetryBaseDelay, options.RetryMaxDelay, options.UnauthorizedProbeInterval, options.JitterRandom);

    /// <summary>The wait before retry number <paramref name="retry"/> (1 for the first).</summary>
    public TimeSpan RetryDelay(int retry, TimeSpan? retryAfter)
    {
        var backoff = Jitter(BackoffCeiling(retry));
        // Retry-After is the least wait, not leave to come back at once: a rate limiter that rounds its wait down
        // answers "Retry-After: 0" (or a date just past), and retries without a pause would spend every attempt in a moment.
        return retryAfter is { } asked ? TimeSpan.FromTicks(Math.Clamp(Math.Max(asked.Ticks, backoff.Ticks), 0, maxDelay.Ticks)) : backoff;
    }

    /// <summary>How long a server's <c>Retry-After</c> holds its whole endpoint (<see cref="EndpointHolds"/>): what it asked, capped at the maximum delay.</summary>
    public TimeSpan Hold(TimeSpan retryAfter) => TimeSpan.FromTicks(Math.Clamp(retryAfter.Ticks, 0, maxDelay.Ticks));

    /// <summary>The upper bound of the jittered wait before retry number <paramref name="retry"/>.</summary>
    public TimeSpan BackoffCeiling(int retry) => Doubled(baseDelay, retry - 1, maxDelay);

    /// <summary>The wait before probe number <paramref name="probe"/> (0 for the first) of a paused endpoint.</summary>
    public TimeSpan ProbeDelay(int probe)
    {
        var ceiling = ProbeCeiling(probe);
        var half = TimeSpan.FromTicks(ceiling.Ticks / 2);
        return half + Jitter(ceiling - half);
    }

    /// <summary>The upper bound of the wait before probe number <paramref name="probe"/>.</summary>
    public TimeSpan ProbeCeiling(int probe)
        => Doubled(probeInterval, Math.Min(probe, MaxProbeDoublings), TimeSpan.FromTicks(probeInterval.Ticks * (1L << MaxProbeDoublings)));

    private TimeSpan Jitter(TimeSpan ceiling) => TimeSpan.FromTicks((long)(ceiling.Ticks * random.NextDouble()));

    private static TimeSpan Doubled(TimeSpan start, int doublings, TimeSpan cap)
    {
        // Past 2^40 any start of at least a tick exceeds every cap the options allow.
        double ticks = start.Ticks * Math.Pow(2, Math.Clamp(doublings, 0, 40));
        return TimeSpan.FromTicks((long)Math.Min(ticks, cap.Ticks));
    }
}
