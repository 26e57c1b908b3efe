using System.Buffers;

namespace Sluice.Producing;

/// <summary>
/// Splits NDJSON into lines as a pipe delivers it, without holding more than one line. A line inside
/// one buffer segment is handed out in place; one that straddles segments is copied into a reused
/// scratch array (so a multi-byte character split across segments arrives whole); one longer than
/// the limit is passed over as its bytes arrive and never held whole. A final line needs no newline;
/// a trailing CR is dropped, and so is a UTF-8 byte-order mark before the first line. Lines are
/// numbered from 1. Used by one reader at a time.
/// </summary>
internal sealed class NdjsonLines(int maxLineBytes) : IDisposable
{
    private static ReadOnlySpan<byte> ByteOrderMark => [0xEF, 0xBB, 0xBF];

    private byte[]? _scratch;

    // Inside a line longer than the limit: the bytes passed over so far; -1 otherwise.
    private long _passedOver = -1;

    // Inside a line longer than the limit: whether the last byte passed over is a CR.
    private bool _passedOverCr;

    /// <summary>The number of the last line found (0 before the first).</summary>
    public long LineNumber { get; private set; }

    /// <summary>
    /// Finds the next line in <paramref name="reader"/> and advances past it and its newline. When it
    /// returns <see cref="NdjsonRead.NeedMore"/>, what the reader has not consumed is the start of the
    /// next line: give it again with more bytes after it. <paramref name="final"/>: no bytes follow.
    /// </summary>
    /// <param name="reader">The bytes delivered so far.</param>
    /// <param name="final">Whether the input ends after these bytes.</param>
    /// <param name="line">The line, without its newline and CR (valid until the next call).</param>
    /// <param name="length">The length of an oversize line.</param>
    public NdjsonRead Next(ref SequenceReader<byte> reader, bool final, out ReadOnlySpan<byte> line, out long length)
    {
        line = default;
        length = 0;
        if (_passedOver >= 0)
            return PassOver(ref reader, final, out length);

        if (reader.TryReadTo(out ReadOnlySequence<byte> found, (byte)'\n'))
            return Complete(found, out line, out length);

        // No newline yet. A partial line that can no longer fit is passed over as it arrives (+ 1:
        // a CR just before the newline still to come is not part of the line).
        if (reader.Remaining > (long)maxLineBytes + 1)
        {
            _passedOver = 0;
            return PassOver(ref reader, final, out length);
        }

        if (!final || reader.End)
            return NdjsonRead.NeedMore;
        var last = reader.UnreadSequence;
        reader.AdvanceToEnd();
        return Complete(last, out line, out length);
    }

    public void Dispose()
    {
        if (_scratch is { } scratch)
        {
            _scratch = null;
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private NdjsonRead PassOver(ref SequenceReader<byte> reader, bool final, out long length)
    {
        long start = reader.Consumed;
        bool found = reader.TryAdvanceTo((byte)'\n');
        if (!found)
            reader.AdvanceToEnd();
        long passed = reader.Consumed - start - (found ? 1 : 0);
        if (passed > 0)
        {
            // The last byte passed over, which may be a CRLF's CR, whose newline is in a later piece.
            int back = found ? 2 : 1;
            reader.Rewind(back);
            reader.TryPeek(out byte last);
            reader.Advance(back);
            _passedOverCr = last == (byte)'\r';
        }

        _passedOver += passed;
        length = _passedOver;
        if (!found && !final)
            return NdjsonRead.NeedMore;

        // Measured as a line found whole is: without the CR before its newline.
        if (_passedOverCr)
            length--;
        _passedOver = -1; // _passedOverCr needs no reset: the next line's first pass sets it (it starts with bytes to pass)
        LineNumber++;
        return NdjsonRead.Oversize;
    }

    private NdjsonRead Complete(ReadOnlySequence<byte> found, out ReadOnlySpan<byte> line, out long length)
    {
        LineNumber++;
        line = default;

        // The CR of a CRLF is no part of the line, nor of its length, whether the line fits or not.
        if (found.IsSingleSegment)
        {
            var span = found.FirstSpan;
            if (span.Length > 0 && span[^1] == (byte)'\r')
                span = span[..^1];
            length = span.Length;
            if (length > maxLineBytes)
                return NdjsonRead.Oversize;
            line = span;
        }
        else
        {
            length = found.Length;
            if (length > 0 && found.Slice(length - 1).FirstSpan[0] == (byte)'\r')
                found = found.Slice(0, --length);
            if (length > maxLineBytes)
                return NdjsonRead.Oversize;
            var scratch = Scratch((int)length);
            found.CopyTo(scratch);
            line = scratch.AsSpan(0, (int)length);
        }

        if (LineNumber == 1 && line.StartsWith(ByteOrderMark))
            line = line[ByteOrderMark.Length..];
        return NdjsonRead.Line;
    }

    private byte[] Scratch(int length)
    {
        if (_scratch is null || _scratch.Length < length)
        {
            Dispose();
            _scratch = ArrayPool<byte>.Shared.Rent(Math.Max(length, 4096));
        }

        return _scratch;
    }
}
