namespace Sluice.Delivery;

/// <summary>
/// When each endpoint (partition) may be sent to again after its server answered with a <c>Retry-After</c>. The
/// header asks the client, not one request, to wait (RFC 9110 §10.2.3): a rate limiter answering 429 to one batch
/// would answer it to the batches the other senders send meanwhile too, and each of those refusals spends an attempt.
/// So every batch to that endpoint waits until then, not only the one that was answered.
/// </summary>
internal sealed class EndpointHolds(int partitions, TimeProvider time)
{
    // A TimeProvider timestamp per partition before which nothing is sent there; 0 for none. Written by senders after an
    // answer, read by every sender before each attempt.
    private readonly long[] _until = new long[partitions];

    /// <summary>Holds <paramref name="partition"/> for <paramref name="wait"/> from now, unless it is held longer already.</summary>
    public void Hold(int partition, TimeSpan wait)
    {
        if (wait <= TimeSpan.Zero)
            return;
        LatestTime.Raise(ref _until[partition], time.GetTimestamp() + (long)(wait.TotalSeconds * time.TimestampFrequency));
    }

    /// <summary>How long <paramref name="partition"/> is still held (zero when it is not).</summary>
    public TimeSpan Remaining(int partition)
    {
        long left = Volatile.Read(ref _until[partition]) - time.GetTimestamp();
        // Rounded up, so that a wait of less than a tick still ends past the hold.
        return left > 0 ? TimeSpan.FromTicks((long)Math.Ceiling((double)left * TimeSpan.TicksPerSecond / time.TimestampFrequency)) : TimeSpan.Zero;
    }
}
