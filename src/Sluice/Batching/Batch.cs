using System.Buffers;
using System.Diagnostics;
using Sluice.Serialization;

namespace Sluice.Batching;

/// <summary>
/// A sealed batch: the exact request body in pooled memory, within the count and byte limits.
/// Valid only until the transport's <c>SendAsync</c> completes; a transport that needs the bytes
/// later must copy them.
/// </summary>
public sealed class Batch
{
    private readonly int[] _eventEnds;
    private readonly Memory<byte> _suffix;
    private readonly WireFormat _format;
    private BufferSegment? _firstSegment;
    private SegmentPool? _pool;

    // Events not yet in a terminal state. Decremented by whoever settles a part of the batch (its
    // sender, a probe, a forced shutdown); the one that brings it to zero finishes the batch.
    private int _unsettled;

    internal Batch(long sequence, int partition, WireFormat format, int eventCount, int[] eventEnds, int prefixLength,
        ReadOnlySequence<byte> body, BufferSegment? firstSegment, Memory<byte> suffix, SegmentPool pool)
    {
        Debug.Assert(eventCount > 0 && eventEnds.Length >= eventCount, "A batch holds at least one event.");
        Sequence = sequence;
        Partition = partition;
        _format = format;
        EventCount = eventCount;
        _eventEnds = eventEnds;
        PrefixLength = prefixLength;
        Body = body;
        _firstSegment = firstSegment;
        _suffix = suffix;
        _pool = pool;
        _unsettled = eventCount;
    }

    /// <summary>Order in which the engine sealed batches, from 0. The parts of a batch split after a 400 or 413 carry its sequence.</summary>
    public long Sequence { get; }

    /// <summary>The wire format's partition (endpoint) this batch goes to.</summary>
    public int Partition { get; }

    /// <summary>The endpoint path of the partition, e.g. <c>/api/track</c>.</summary>
    public string EndpointPath => _format.EndpointPath(Partition);

    /// <summary>The number of events in the body.</summary>
    public int EventCount { get; }

    /// <summary>The body's length in bytes, envelope included: exactly what the limits count.</summary>
    public long Length => Body.Length;

    /// <summary>The request body, uncompressed.</summary>
    public ReadOnlySequence<byte> Body { get; }

    internal int PrefixLength { get; }

    /// <summary>Prefix plus suffix: the bytes of a body with no event.</summary>
    internal int EnvelopeLength => PrefixLength + _suffix.Length;

    /// <summary>The JSON of one event of the body, without separators.</summary>
    public ReadOnlySequence<byte> GetEvent(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, EventCount);
        long start = index == 0 ? PrefixLength : _eventEnds[index - 1] + 1;
        return Body.Slice(start, _eventEnds[index] - start);
    }

    /// <summary>Rewrites the send-time parts of the envelope (such as <c>sentAt</c>) just before a send.</summary>
    internal void StampForSend(DateTimeOffset now) => _format.StampBeforeSend(Partition, _suffix.Span, now);

    /// <summary>
    /// Claims <paramref name="events"/> of this batch's events for a terminal state. False if a forced
    /// shutdown already settled the rest. <paramref name="finished"/> tells whether these were the last.
    /// </summary>
    internal bool TrySettle(int events, out bool finished)
    {
        Debug.Assert(events > 0, "Settle at least one event.");
        int current = Volatile.Read(ref _unsettled);
        while (current >= events)
        {
            int seen = Interlocked.CompareExchange(ref _unsettled, current - events, current);
            if (seen == current)
            {
                finished = current == events;
                return true;
            }

            current = seen;
        }

        finished = false;
        return false;
    }

    /// <summary>Claims every event not yet settled (at shutdown); returns how many, zero if none were left.</summary>
    internal int SettleRemaining() => Interlocked.Exchange(ref _unsettled, 0);

    /// <summary>The body length of events [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) in an envelope of their own.</summary>
    internal long RangeLength(int start, int count)
    {
        long first = start == 0 ? PrefixLength : _eventEnds[start - 1] + 1;
        return PrefixLength + (_eventEnds[start + count - 1] - first) + _suffix.Length;
    }

    /// <summary>
    /// A new batch holding events [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) of this one
    /// in a fresh envelope, written into the same pool. It carries this batch's sequence, is never settled itself
    /// (its events are this batch's), and must be released after its send. Call before this batch is released.
    /// </summary>
    internal Batch Slice(int start, int count)
    {
        var pool = _pool ?? throw new InvalidOperationException("The batch's memory was already released.");
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, EventCount);

        var buffer = new BatchBuffer(pool);
        var prefix = _format.BatchPrefix(Partition);
        buffer.Write(prefix);
        int[] ends = ArrayPool<int>.Shared.Rent(count);
        for (int i = 0; i < count; i++)
        {
            if (i > 0)
                buffer.WriteByte((byte)',');
            foreach (var segment in GetEvent(start + i))
                buffer.Write(segment.Span);
            ends[i] = (int)buffer.Length;
        }

        var suffix = buffer.WriteContiguous(_format.BatchSuffix(Partition));
        var body = buffer.Detach(out var first);
        return new Batch(Sequence, Partition, _format, count, ends, prefix.Length, body, first, suffix, pool);
    }

    /// <summary>Returns the pooled memory. Called once, after the last send attempt finished.</summary>
    internal void Release()
    {
        var pool = Interlocked.Exchange(ref _pool, null);
        if (pool is null)
            return;
        pool.ReturnChain(_firstSegment);
        _firstSegment = null;
        ArrayPool<int>.Shared.Return(_eventEnds);
    }
}
