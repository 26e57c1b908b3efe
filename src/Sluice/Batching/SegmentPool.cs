using System.Buffers;

namespace Sluice.Batching;

/// <summary>
/// The blocks batch bodies are written into. Blocks are 64 KB, below the 85 KB large-object
/// threshold, so nothing lands on the LOH; retention is capped so a burst does not pin memory forever.
/// Used by the serializer (rent) and the senders (return), once per block, under a plain lock.
/// </summary>
internal sealed class SegmentPool(int maxRetained)
{
    public const int BlockSize = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly Stack<BufferSegment> _free = new();

    /// <summary>Blocks waiting in the pool (for tests of the once-only return).</summary>
    internal int FreeCount
    {
        get
        {
            lock (_lock)
                return _free.Count;
        }
    }

    public BufferSegment Rent(int sizeHint)
    {
        if (sizeHint > BlockSize)
            return new BufferSegment(ArrayPool<byte>.Shared.Rent(sizeHint), fromSharedPool: true);

        lock (_lock)
        {
            if (_free.TryPop(out var segment))
                return segment;
        }

        return new BufferSegment(new byte[BlockSize], fromSharedPool: false);
    }

    public void Return(BufferSegment segment)
    {
        segment.Clear();
        if (segment.FromSharedPool)
        {
            ArrayPool<byte>.Shared.Return(segment.Array);
            return;
        }

        lock (_lock)
        {
            if (_free.Count < maxRetained)
                _free.Push(segment);
        }
    }

    /// <summary>Returns a whole chain.</summary>
    public void ReturnChain(BufferSegment? first)
    {
        while (first is not null)
        {
            var next = (BufferSegment?)first.Next;
            Return(first);
            first = next;
        }
    }
}
