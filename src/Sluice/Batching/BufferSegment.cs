using System.Buffers;

namespace Sluice.Batching;

/// <summary>A pooled block of a batch body; also the linked-list node of its <see cref="ReadOnlySequence{T}"/>.</summary>
internal sealed class BufferSegment : ReadOnlySequenceSegment<byte>
{
    public BufferSegment(byte[] array, bool fromSharedPool)
    {
        Array = array;
        FromSharedPool = fromSharedPool;
    }

    public byte[] Array { get; }

    /// <summary>True for an oversized block rented from <see cref="ArrayPool{T}.Shared"/> for a single huge token.</summary>
    public bool FromSharedPool { get; }

    public int Written;

    public int Free => Array.Length - Written;

    public void Link(BufferSegment? next, long runningIndex)
    {
        Memory = Array.AsMemory(0, Written);
        RunningIndex = runningIndex;
        Next = next;
    }

    public void Clear()
    {
        Written = 0;
        Memory = default;
        Next = null;
        RunningIndex = 0;
    }
}
