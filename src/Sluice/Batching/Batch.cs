using System.Buffers;
using System.Diagnostics;
using Sluice.Delivery.WireFormats;

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

    // 0 until the batch reaches a terminal state; the first to set it does the accounting.
    private int _settled;

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
    }

    /// <summary>Order in which the engine sealed batches, from 0.</summary>
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

    /// <summary>Claims the right to account this batch's terminal state; true exactly once.</summary>
    internal bool TrySettle() => Interlocked.Exchange(ref _settled, 1) == 0;

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
