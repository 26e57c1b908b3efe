using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.IO.Pipelines;

namespace Sluice.Spooling;

/// <summary>
/// Reads the frames of one spool file through a <see cref="PipeReader"/>, framing parsed with
/// <see cref="SequenceReader{T}"/>: intact records, and the damaged regions between them. A region
/// that fails a check (magic, a CRC, a field out of range, a record cut short) ends at the next
/// intact record: the reader moves on byte by byte (to the next <see cref="RecordLayout.MagicByte"/>),
/// except past a record whose header is intact but whose payload is not, whose length it trusts.
/// A region that reaches the end of the file is a torn tail. The reader buffers one record at most.
/// Not thread-safe: one caller.
/// </summary>
internal sealed class FrameReader : IAsyncDisposable
{
    private const int PipeBufferSize = 64 * 1024;

    private readonly PipeReader _reader;
    private readonly bool _segmentFile;
    private readonly Crc32 _crc = new();

    private ReadOnlySequence<byte> _buffer;   // what the pipe returned last, minus what was consumed
    private long _bufferOffset;               // the file offset of _buffer.Start
    private bool _completed;                  // the pipe has no more bytes to give
    private bool _read;                       // a read happened, so AdvanceTo is allowed
    private bool _headerExpected;             // at offset 0 of a segment file
    private long _pendingConsume;             // the frame returned last, consumed at the next call
    private long _damageStart = -1;           // where the current damaged region began, -1 if none

    private FrameReader(PipeReader reader, bool segmentFile)
    {
        _reader = reader;
        _segmentFile = segmentFile;
        _headerExpected = segmentFile;
    }

    /// <summary>The file offset of what the last read returned.</summary>
    public long Offset { get; private set; }

    /// <summary>Its length in bytes.</summary>
    public long Length { get; private set; }

    /// <summary>The header of the last <see cref="FrameKind.Batch"/>.</summary>
    public BatchRecordHeader Batch { get; private set; }

    /// <summary>The batch id of the last <see cref="FrameKind.Acknowledgement"/>.</summary>
    public long AcknowledgedId { get; private set; }

    /// <summary>The last <see cref="FrameKind.SegmentHeader"/>.</summary>
    public SegmentHeader? Header { get; private set; }

    /// <summary>The layout version of the last <see cref="FrameKind.OtherVersionHeader"/>.</summary>
    public ushort OtherVersion { get; private set; }

    /// <summary>The event end offsets and body of the last <see cref="FrameKind.Batch"/>; valid until the next read.</summary>
    public ReadOnlySequence<byte> Payload { get; private set; }

    /// <summary>Opens <paramref name="path"/> for reading while a writer may still append to it or delete it.</summary>
    public static FrameReader Open(string path, bool segmentFile) => new(OpenPipe(path, offset: 0), segmentFile);

    /// <summary>Opens a segment file at <paramref name="offset"/>, where a batch record begins, to read that record.</summary>
    public static FrameReader OpenAt(string path, long offset) =>
        new(OpenPipe(path, offset), segmentFile: true) { _headerExpected = false, _bufferOffset = offset };

    /// <summary>Copies the last <see cref="FrameKind.Batch"/>'s event end offsets (<c>Batch.EventCount</c> of them) into <paramref name="destination"/>.</summary>
    public void CopyEventEndsTo(Span<int> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Batch.EventCount, nameof(destination));
        var reader = new SequenceReader<byte>(Payload);
        for (int i = 0; i < Batch.EventCount; i++)
            reader.TryReadLittleEndian(out destination[i]);
    }

    /// <summary>Writes the last <see cref="FrameKind.Batch"/>'s body, as it was appended, into <paramref name="destination"/>.</summary>
    public void CopyBodyTo(IBufferWriter<byte> destination)
    {
        foreach (var memory in Payload.Slice(4L * Batch.EventCount))
            destination.Write(memory.Span);
    }

    private static PipeReader OpenPipe(string path, long offset)
    {
        // No FileStream buffer: the pipe is the buffer.
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.SequentialScan);
        if (offset > 0)
            stream.Position = offset;
        return PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: PipeBufferSize, minimumReadSize: PipeBufferSize / 4, leaveOpen: false));
    }

    /// <summary>The next frame or damaged region.</summary>
    public async ValueTask<FrameKind> ReadAsync(CancellationToken cancellationToken = default)
    {
        Consume(_pendingConsume);
        _pendingConsume = 0;
        Payload = default;
        while (true)
        {
            if (_buffer.IsEmpty && !await FillAsync(1, cancellationToken).ConfigureAwait(false))
                return AtEnd();

            long start = _bufferOffset;
            if (_buffer.FirstSpan[0] != RecordLayout.MagicByte)
            {
                _headerExpected = false;
                BeginDamage(start);
                SkipToMagicByte();
                continue;
            }

            var kind = _headerExpected
                ? await TryHeaderAsync(cancellationToken).ConfigureAwait(false)
                : await TryRecordAsync(cancellationToken).ConfigureAwait(false);
            _headerExpected = false;
            if (kind == FrameKind.End)
                continue; // not a frame here: the damage goes on

            if (_damageStart >= 0)
            {
                // Report the damage first; the intact frame is read again by the next call.
                Offset = _damageStart;
                Length = start - _damageStart;
                _damageStart = -1;
                _pendingConsume = 0;
                Payload = default;
                return FrameKind.Damaged;
            }

            Offset = start;
            _pendingConsume = Length;
            return kind;
        }
    }

    /// <summary>Reads a segment header at the buffer's start; End (and the damage begun) if there is none.</summary>
    private async ValueTask<FrameKind> TryHeaderAsync(CancellationToken cancellationToken)
    {
        long start = _bufferOffset;
        int identityLength = -1;
        if (await FillAsync(SegmentHeader.FixedLength, cancellationToken).ConfigureAwait(false))
        {
            Span<byte> fixedPart = stackalloc byte[SegmentHeader.FixedLength];
            new SequenceReader<byte>(_buffer).TryCopyTo(fixedPart);
            identityLength = SegmentHeader.IdentityLength(fixedPart);
        }

        int length = SegmentHeader.FixedLength + identityLength;
        if (identityLength > 0 && await FillAsync(length, cancellationToken).ConfigureAwait(false))
        {
            byte[] bytes = _buffer.Slice(0, length).ToArray();
            if (SegmentHeader.TryRead(bytes) is { } header)
            {
                Header = header;
                Length = length;
                return FrameKind.SegmentHeader;
            }

            if (SegmentHeader.OtherVersion(bytes) is { } version)
            {
                OtherVersion = version;
                Length = length;
                return FrameKind.OtherVersionHeader;
            }
        }

        BeginDamage(start);
        Consume(1);
        return FrameKind.End;
    }

    /// <summary>Reads a record at the buffer's start; End (and the damage begun) if there is none.</summary>
    private async ValueTask<FrameKind> TryRecordAsync(CancellationToken cancellationToken)
    {
        long start = _bufferOffset;
        if (!await FillAsync(RecordLayout.TypeOffset + 1, cancellationToken).ConfigureAwait(false))
            return NotHere(start, 1);

        var reader = new SequenceReader<byte>(_buffer);
        if (!reader.IsNext(RecordLayout.Magic))
            return NotHere(start, 1);
        reader.Advance(RecordLayout.TypeOffset);
        reader.TryRead(out byte type);
        int headerLength = (type, _segmentFile) switch
        {
            (RecordLayout.BatchType, true) => RecordLayout.BatchHeaderLength,
            (RecordLayout.AcknowledgementType, false) => RecordLayout.AcknowledgementLength,
            _ => 0,
        };
        if (headerLength == 0 || !await FillAsync(headerLength, cancellationToken).ConfigureAwait(false))
            return NotHere(start, 1);

        Span<byte> header = stackalloc byte[RecordLayout.BatchHeaderLength];
        header = header[..headerLength];
        new SequenceReader<byte>(_buffer).TryCopyTo(header);
        if (!_segmentFile)
        {
            if (!RecordLayout.TryReadAcknowledgement(header, out long id))
                return NotHere(start, 1);
            AcknowledgedId = id;
            Length = headerLength;
            return FrameKind.Acknowledgement;
        }

        if (!BatchRecordHeader.TryRead(header, out var batch))
            return NotHere(start, 1);

        // The header is intact, so its length can be trusted: a bad payload is skipped whole.
        if (!await FillAsync(batch.RecordLength, cancellationToken).ConfigureAwait(false))
            return NotHere(start, _buffer.Length);

        var payload = _buffer.Slice(headerLength, batch.PayloadLength);
        _crc.Reset();
        foreach (var segment in payload)
            _crc.Append(segment.Span);
        if (_crc.GetCurrentHashAsUInt32() != batch.PayloadCrc || !EndsAreValid(payload, batch))
            return NotHere(start, batch.RecordLength);

        Batch = batch;
        Payload = payload;
        Length = batch.RecordLength;
        return FrameKind.Batch;
    }

    // Event ends are checked too: a record that passed its CRC but whose ends fall outside its body
    // was not written by this code, and replaying it would hand the engine offsets it cannot trust.
    private static bool EndsAreValid(ReadOnlySequence<byte> payload, BatchRecordHeader batch)
    {
        var reader = new SequenceReader<byte>(payload);
        int previous = 0;
        for (int i = 0; i < batch.EventCount; i++)
        {
            reader.TryReadLittleEndian(out int end);
            if (end <= previous || end > batch.BodyLength)
                return false;
            previous = end;
        }

        return true;
    }

    private FrameKind NotHere(long start, long skip)
    {
        BeginDamage(start);
        Consume(skip);
        return FrameKind.End;
    }

    private void BeginDamage(long at)
    {
        if (_damageStart < 0)
            _damageStart = at;
    }

    private FrameKind AtEnd()
    {
        if (_damageStart < 0)
        {
            Offset = _bufferOffset;
            Length = 0;
            return FrameKind.End;
        }

        Offset = _damageStart;
        Length = _bufferOffset - _damageStart;
        _damageStart = -1;
        return FrameKind.TornTail;
    }

    private void SkipToMagicByte()
    {
        var reader = new SequenceReader<byte>(_buffer);
        Consume(reader.TryAdvanceTo(RecordLayout.MagicByte, advancePastDelimiter: false) ? reader.Consumed : _buffer.Length);
    }

    private void Consume(long count)
    {
        _buffer = _buffer.Slice(count);
        _bufferOffset += count;
    }

    /// <summary>Reads until at least <paramref name="count"/> bytes are buffered; false if the file ends first.</summary>
    private async ValueTask<bool> FillAsync(long count, CancellationToken cancellationToken)
    {
        while (_buffer.Length < count && !_completed)
        {
            if (_read)
                _reader.AdvanceTo(_buffer.Start, _buffer.End);
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            _read = true;
            _buffer = result.Buffer;
            _completed = result.IsCompleted;
        }

        return _buffer.Length >= count;
    }

    public async ValueTask DisposeAsync() => await _reader.CompleteAsync().ConfigureAwait(false);
}
