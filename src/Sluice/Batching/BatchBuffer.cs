using System.Buffers;
using System.Diagnostics;

namespace Sluice.Batching;

/// <summary>
/// The open batch's body: an <see cref="IBufferWriter{T}"/> over pooled 64 KB blocks that can be
/// truncated back to an event boundary (the rollback of an overflowing event) and detached,
/// without a copy, as the body of a sealed batch. Used only by the serializer.
/// </summary>
internal sealed class BatchBuffer(SegmentPool pool) : IBufferWriter<byte>
{
    private BufferSegment? _first;
    private BufferSegment? _last;

    /// <summary>Committed bytes.</summary>
    public long Length { get; private set; }

    public void Advance(int count)
    {
        Debug.Assert(_last is not null && count <= _last.Free, "Advance within the memory handed out.");
        _last!.Written += count;
        Length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => Reserve(sizeHint).Array.AsMemory(_last!.Written);

    public Span<byte> GetSpan(int sizeHint = 0) => Reserve(sizeHint).Array.AsSpan(_last!.Written);

    /// <summary>The block to write at least <paramref name="sizeHint"/> contiguous bytes into, from <paramref name="offset"/>; commit them with <see cref="Advance"/>.</summary>
    public byte[] GetBlock(int sizeHint, out int offset)
    {
        var segment = Reserve(sizeHint);
        offset = segment.Written;
        return segment.Array;
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            var span = GetSpan(1);
            int n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            Advance(n);
            bytes = bytes[n..];
        }
    }

    /// <summary>Writes bytes that must stay contiguous (so they can be rewritten in place later).</summary>
    public Memory<byte> WriteContiguous(ReadOnlySpan<byte> bytes)
    {
        var memory = GetMemory(bytes.Length)[..bytes.Length];
        bytes.CopyTo(memory.Span);
        Advance(bytes.Length);
        return memory;
    }

    public void WriteByte(byte value)
    {
        GetSpan(1)[0] = value;
        Advance(1);
    }

    /// <summary>Cuts the body back to <paramref name="length"/> bytes, returning blocks past it to the pool.</summary>
    public void Truncate(long length)
    {
        Debug.Assert(length >= 0 && length <= Length, "Truncate only backwards.");
        long start = 0;
        for (var segment = _first; segment is not null; segment = (BufferSegment?)segment.Next)
        {
            if (start + segment.Written >= length)
            {
                segment.Written = (int)(length - start);
                pool.ReturnChain((BufferSegment?)segment.Next);
                segment.Link(null, start);
                _last = segment;
                Length = length;
                return;
            }

            start += segment.Written;
        }
    }

    /// <summary>Hands the blocks over to a sealed batch and starts empty.</summary>
    public ReadOnlySequence<byte> Detach(out BufferSegment? first)
    {
        first = _first;
        var sequence = ReadOnlySequence<byte>.Empty;
        if (_first is not null)
        {
            long index = 0;
            for (var s = _first; s is not null; s = (BufferSegment?)s.Next)
            {
                s.Link((BufferSegment?)s.Next, index);
                index += s.Written;
            }

            sequence = new ReadOnlySequence<byte>(_first, 0, _last!, _last!.Written);
        }

        _first = _last = null;
        Length = 0;
        return sequence;
    }

    /// <summary>Returns every block to the pool (the batch is abandoned).</summary>
    public void Reset()
    {
        pool.ReturnChain(_first);
        _first = _last = null;
        Length = 0;
    }

    private BufferSegment Reserve(int sizeHint)
    {
        sizeHint = Math.Max(sizeHint, 1);
        if (_last is not null && _last.Free >= sizeHint)
            return _last;

        var segment = pool.Rent(sizeHint);
        if (_last is null)
        {
            _first = segment;
        }
        else
        {
            _last.Link(segment, 0);
        }

        _last = segment;
        return segment;
    }
}
