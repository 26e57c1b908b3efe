using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using Sluice.Producing;

namespace Sluice;

// NDJSON ingest: events streamed in as lines, each through EnqueueJson's path.
public sealed partial class SluiceEngine
{
    // The identifier cache no ingest is using: taken (exchanged for null) by an ingest as it starts,
    // put back as it ends. Read and written by ingesting threads only.
    private IdentifierCache? _idleIdentifiers;

    /// <summary>
    /// Reads NDJSON from <paramref name="input"/>: one event per line in the shape <see cref="EnqueueJson(ReadOnlySpan{byte})"/>
    /// takes. Each line goes through the same validation; a line that is refused is reported to
    /// <paramref name="onError"/> with its number and skipped, and the rest go on. Blank lines are
    /// passed over; a line longer than <see cref="SluiceOptions.MaxBatchBytes"/> is refused as
    /// oversize without being held whole. With <see cref="FullMode.Wait"/> the reading waits for room
    /// in the queue as long as it takes (backpressure) instead of refusing lines; with the other
    /// modes a full queue refuses or evicts as for any call. Reading stops at the end of the input,
    /// when <paramref name="cancellationToken"/> is cancelled (the summary then says how far it got:
    /// no exception), or at the first line refused because the engine is shutting down. An error reading
    /// <paramref name="input"/> (a pipe whose writer completed with an exception, a stream whose read
    /// throws) is thrown as is: the lines before it were handled, and those accepted are delivered as any
    /// event is (the engine's counters count them; no summary is returned). Valid lines
    /// allocate nothing on the reading thread once it is warm. Completing <paramref name="input"/> is
    /// left to the caller.
    /// </summary>
    /// <param name="input">The NDJSON bytes (UTF-8, a byte-order mark before the first line ignored; LF or CRLF line ends; the last line needs no newline). UTF-16 input is refused line by line, the first line's message saying it is UTF-16.</param>
    /// <param name="onError">Receives each refused line, on the reading flow; null to only count them. An exception it throws ends the
    /// reading and is thrown from here, as an error reading <paramref name="input"/> is.</param>
    /// <param name="skipLines">Lines at the start to pass over unread (to resume an earlier run); they keep their numbers.</param>
    /// <param name="cancellationToken">Stops the reading; what was accepted stays accepted.</param>
    /// <returns>What happened to the lines read.</returns>
    public Task<IngestSummary> IngestAsync(PipeReader input, Action<IngestError>? onError = null, long skipLines = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegative(skipLines);
        return IngestCoreAsync(input, new IngestTally(skipLines, onError, accepted: null), cancellationToken);
    }

    /// <summary>Reads NDJSON from <paramref name="input"/>, as <see cref="IngestAsync(PipeReader, Action{IngestError}?, long, CancellationToken)"/> does. The stream is left open.</summary>
    /// <param name="input">The NDJSON bytes.</param>
    /// <param name="onError">Receives each refused line; null to only count them.</param>
    /// <param name="skipLines">Lines at the start to pass over unread.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <returns>What happened to the lines read.</returns>
    public Task<IngestSummary> IngestAsync(Stream input, Action<IngestError>? onError = null, long skipLines = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfNegative(skipLines);
        return IngestCoreAsync(input, new IngestTally(skipLines, onError, accepted: null), cancellationToken);
    }

    /// <summary>The stream overload with its tally given (a tool that maps accepted events to lines passes its own).</summary>
    internal async Task<IngestSummary> IngestCoreAsync(Stream input, IngestTally tally, CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        try
        {
            return await IngestCoreAsync(reader, tally, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The pipe overload with its tally given.</summary>
    internal async Task<IngestSummary> IngestCoreAsync(PipeReader input, IngestTally tally, CancellationToken cancellationToken)
    {
        using var lines = new NdjsonLines(_options.MaxBatchBytes);
        // The engine's cache if no other ingest holds it (a replay's second file finds its ids again,
        // and allocates nothing); a concurrent ingest fills one of its own.
        var ids = Interlocked.Exchange(ref _idleIdentifiers, null) ?? new IdentifierCache();
        bool completed = false;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (result.IsCanceled)
                    break; // the pipe's own way of stopping a reader (CancelPendingRead)
                var buffer = result.Buffer;
                IngestStep step;
                while ((step = IngestBuffered(ref buffer, result.IsCompleted, lines, ids, tally, cancellationToken)) == IngestStep.NeedRoom)
                {
                    if (!await WaitForRoomAsync(cancellationToken).ConfigureAwait(false))
                        break;
                }

                // What is left was looked at only when it is the start of a line still to come (NeedMore). Stopped
                // (cancelled, shutting down), it is lines not read at all: marked examined, a pipe would hand them
                // to the caller's next read only once more bytes came.
                input.AdvanceTo(buffer.Start, step == IngestStep.NeedMore ? buffer.End : buffer.Start);
                if (step == IngestStep.NeedMore && result.IsCompleted)
                    completed = true;
                if (step != IngestStep.NeedMore || result.IsCompleted)
                    break;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled while waiting for input: the summary says how far the reading got.
        }
        finally
        {
            Volatile.Write(ref _idleIdentifiers, ids);
        }

        return tally.Summary(completed);
    }

    /// <summary>
    /// Ingests the whole lines in <paramref name="buffer"/> and advances it past them. Stops early to
    /// wait for room in the queue (wait mode), or for good when cancelled or shutting down.
    /// </summary>
    private IngestStep IngestBuffered(ref ReadOnlySequence<byte> buffer, bool final, NdjsonLines lines, IdentifierCache ids, IngestTally tally, CancellationToken cancellationToken)
    {
        var reader = new SequenceReader<byte>(buffer);
        bool waitForRoom = _options.FullMode == FullMode.Wait;

        // Room known to be free in the queue: the queue is only read past it when this runs out.
        long room = waitForRoom ? _ring.Capacity - (_ring.TotalEnqueued - _ring.TotalDequeued) : long.MaxValue;
        try
        {
            while (true)
            {
                if (cancellationToken.IsCancellationRequested)
                    return IngestStep.Stop;
                if (room <= 0 && (room = _ring.Capacity - (_ring.TotalEnqueued - _ring.TotalDequeued)) <= 0 && !_ring.IsClosed)
                    return IngestStep.NeedRoom;

                var found = lines.Next(ref reader, final, out var line, out long length);
                if (found == NdjsonRead.NeedMore)
                    return IngestStep.NeedMore;
                long number = lines.LineNumber;
                if (number <= tally.SkipLines)
                {
                    tally.Skipped++;
                    continue;
                }

                if (found == NdjsonRead.Oversize)
                {
                    tally.Refuse(number, IngestRefusal.Oversize,
                        string.Create(CultureInfo.InvariantCulture, $"The line is {length:N0} bytes long, over the batch limit of {_options.MaxBatchBytes:N0} bytes ({nameof(SluiceOptions.MaxBatchBytes)})."));
                    continue;
                }

                if (line.IndexOfAnyExcept(" \t\r"u8) < 0)
                {
                    tally.Blank++;
                    continue;
                }

                // What Windows PowerShell's > writes: "not valid UTF-8" would not say what to do about it.
                if (number == 1 && line.Length >= 2 && (line[0], line[1]) is (0xFF, 0xFE) or (0xFE, 0xFF))
                {
                    tally.Refuse(number, IngestRefusal.Invalid, "The input is UTF-16 (it starts with a UTF-16 byte-order mark); NDJSON is read as UTF-8: convert it first.");
                    continue;
                }

                room--;
                if (!IngestLine(line, number, ids, tally, cancellationToken))
                    return IngestStep.Stop;
            }
        }
        finally
        {
            buffer = buffer.Slice(reader.Position);
        }
    }

    /// <summary>
    /// One line through <see cref="EnqueueJson(ReadOnlySpan{byte}, IdentifierCache?)"/>; false when the engine is shutting down.
    /// In wait mode a full queue holds the line back (see <see cref="EnqueueIngestedLine"/>) until there is room or
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    private bool IngestLine(ReadOnlySpan<byte> line, long number, IdentifierCache ids, IngestTally tally, CancellationToken cancellationToken)
    {
        EnqueueResult result;
        try
        {
            result = EnqueueLine(line, ids, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            tally.Refuse(number, IngestRefusal.Invalid, ThrowHelper.MessageOf(ex));
            return true;
        }

        switch (result.Status)
        {
            case EnqueueStatus.Accepted:
                tally.Accepted++;
                tally.AcceptedLines?.Accepted(number, result.Sequence);
                return true;
            case EnqueueStatus.QueueFull:
                tally.Refuse(number, IngestRefusal.QueueFull, "The queue was full.");
                return true;
            default:
                tally.Refuse(number, IngestRefusal.ShuttingDown, "The engine is shutting down; reading stopped here.");
                return false;
        }
    }

    /// <summary>EnqueueJson marked as an ingest's, for the line only: a call the caller's callbacks make is not.</summary>
    private EnqueueResult EnqueueLine(ReadOnlySpan<byte> line, IdentifierCache ids, CancellationToken cancellationToken)
    {
        t_ingestingInto = _identity;
        t_ingestCancellation = cancellationToken;
        try
        {
            return EnqueueJson(line, ids);
        }
        finally
        {
            t_ingestingInto = null;
            t_ingestCancellation = default;
        }
    }

    /// <summary>
    /// Waits until a quarter of the queue is free (one wait per many lines, not one per line) or the
    /// queue closes; false if cancelled. Blocks without polling: the serializer releases the wait as
    /// it frees space (a poll every millisecond allocated a timer each time and woke a pool thread).
    /// </summary>
    private async ValueTask<bool> WaitForRoomAsync(CancellationToken cancellationToken)
    {
        await _ring.WaitForRoomAsync(_ring.Capacity - Math.Max(1, _ring.Capacity / 4), cancellationToken).ConfigureAwait(false);
        return !cancellationToken.IsCancellationRequested;
    }

    private enum IngestStep
    {
        NeedMore,
        NeedRoom,
        Stop,
    }
}
