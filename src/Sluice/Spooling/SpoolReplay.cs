using System.Buffers;

namespace Sluice.Spooling;

/// <summary>
/// Reads back, oldest first, the batches a spool held when it opened and that are still not
/// acknowledged (nor evicted since). Each segment is read through a <c>PipeReader</c>-backed
/// <see cref="FrameReader"/>; the caller copies the current batch's event ends and body into memory
/// of its choosing. One reader at a time per instance; the spool may be appended to and acknowledged
/// meanwhile.
/// </summary>
internal sealed class SpoolReplay : IAsyncDisposable
{
    private readonly DiskSpool _spool;
    private readonly SpoolSegment[] _segments;
    private int _index = -1;
    private FrameReader? _reader;
    private bool _hasCurrent;

    internal SpoolReplay(DiskSpool spool, SpoolSegment[] segments)
    {
        _spool = spool;
        _segments = segments;
    }

    /// <summary>The batch read last.</summary>
    /// <exception cref="InvalidOperationException">No batch was read, or the last read found none.</exception>
    public SpooledBatch Current
    {
        get => _hasCurrent ? field : throw new InvalidOperationException("No batch is current: call MoveNextAsync first.");
        private set;
    }

    /// <summary>Reads the next live batch; false when none is left.</summary>
    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        _hasCurrent = false;
        while (true)
        {
            if (_reader is null)
            {
                if (++_index >= _segments.Length)
                    return false;
                if (!_spool.IsReadable(_segments[_index]))
                    continue;
                try
                {
                    _reader = FrameReader.Open(_segments[_index].SegmentPath, segmentFile: true);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    _spool.Vanished(_segments[_index], e); // unless everything in it was acknowledged or evicted meanwhile
                    continue;
                }
            }

            var segment = _segments[_index];
            FrameKind kind;
            try
            {
                kind = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                _spool.ReportReadFailure(segment, e);
                kind = FrameKind.End;
            }

            if (kind is FrameKind.End || !_spool.IsReadable(segment))
            {
                await _reader.DisposeAsync().ConfigureAwait(false);
                _reader = null;
                continue;
            }

            if (kind != FrameKind.Batch || !_spool.IsLive(segment, _reader.Batch.BatchId))
                continue;

            var batch = _reader.Batch;
            var ticket = new SpoolTicket(batch.BatchId, segment.FirstId, _reader.Offset, batch.RecordLength, batch.EventCount);
            Current = new SpooledBatch(ticket, batch.Partition, DateTimeOffset.FromUnixTimeMilliseconds(batch.AppendedAtMs), batch.BodyLength);
            _hasCurrent = true;
            return true;
        }
    }

    /// <summary>Copies the current batch's event end offsets (<see cref="SpooledBatch.EventCount"/> of them) into <paramref name="destination"/>.</summary>
    public void CopyEventEndsTo(Span<int> destination)
    {
        _ = Current; // throws if there is none
        _reader!.CopyEventEndsTo(destination);
    }

    /// <summary>Writes the current batch's body, as it was appended, into <paramref name="destination"/>.</summary>
    public void CopyBodyTo(IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        _ = Current; // throws if there is none
        _reader!.CopyBodyTo(destination);
    }

    public async ValueTask DisposeAsync()
    {
        _hasCurrent = false;
        if (_reader is not null)
            await _reader.DisposeAsync().ConfigureAwait(false);
        _reader = null;
        _index = _segments.Length;
    }
}
