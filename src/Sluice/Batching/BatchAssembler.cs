using System.Globalization;
using Microsoft.IO;
using Sluice.Diagnostics;
using Sluice.Producing;
using Sluice.Serialization;

namespace Sluice.Batching;

/// <summary>
/// The single serializer: writes each event with its partition's <see cref="EventWriter"/> straight
/// into the open batch, and seals a batch exactly when it holds MaxBatchEvents events, when the next
/// accepted event would push it past its byte limit (that event moves to the next batch; an event too
/// large for any batch is refused without closing the open one), on linger, or on flush. Used only by
/// the engine's consumer loop.
/// </summary>
internal sealed class BatchAssembler
{
    private readonly WireFormat _format;
    private readonly int[] _partitionOfKind;
    private readonly OpenBatch[] _open;
    private readonly int _maxEvents;
    private readonly int _maxBytes; // the configured limit; a partition's may be lower after a 413
    private readonly ArenaPool _arenas;
    private readonly EngineCounters _counters;
    private readonly TimeProvider _time;
    private readonly Action<DiagnosticEvent> _diagnose;
    private readonly FateReporter? _fates;
    private readonly RecyclableMemoryStreamManager _memory;
    private readonly Queue<Batch> _sealed = new();
    private long _nextBatch;

    public BatchAssembler(SluiceOptions options, RecyclableMemoryStreamManager memory, ArenaPool arenas, EngineCounters counters, Action<DiagnosticEvent> diagnose,
        FateReporter? fates = null)
    {
        _fates = fates;
        _format = options.WireFormat;
        _memory = memory;
        _maxEvents = options.MaxBatchEvents;
        _maxBytes = options.MaxBatchBytes;
        _arenas = arenas;
        _counters = counters;
        _time = options.TimeProvider;
        _diagnose = diagnose;
        // Formats are stateless: which partition a kind goes to is asked once, not per event.
        var kinds = Enum.GetValues<EventKind>();
        _partitionOfKind = new int[kinds.Max(k => (int)k) + 1];
        foreach (var kind in kinds)
            _partitionOfKind[(int)kind] = _format.PartitionOf(kind);
        _open = new OpenBatch[_format.PartitionCount];
        for (int p = 0; p < _open.Length; p++)
            _open[p] = new OpenBatch(p, options.MaxBatchBytes, _format.BatchPrefix(p).Length, _format.BatchSuffix(p).Length, memory, fates?.Listening == true, options.ParsedDefaultContext);
    }

    /// <summary>Set when an event opened a batch since the last <see cref="TakeOpenedFlag"/>: the linger timer may need arming.</summary>
    private bool _opened;

    /// <summary>Batches sealed so far; the next one gets this sequence number.</summary>
    public long SealedCount => _nextBatch;

    public bool HasSealed => _sealed.Count > 0;

    /// <summary>Records processed so far (written, rejected or failed). Written by the serializer only.</summary>
    public long Processed => Volatile.Read(ref _processed);

    private long _processed;

    public OpenBatch Partition(int partition) => _open[partition];

    public bool TakeOpenedFlag()
    {
        bool opened = _opened;
        _opened = false;
        return opened;
    }

    public bool TryTakeSealed(out Batch batch) => _sealed.TryDequeue(out batch!);

    /// <summary>
    /// Serializes one record into its partition's open batch; never throws. <paramref name="sequence"/> is its number
    /// in the engine (its queue ticket): the wire format's event id, and what its fate is reported by.
    /// </summary>
    public void Add(ref EventRecord record, long sequence)
    {
        var open = _open[_partitionOfKind[(int)record.Kind]];
        long id = sequence;
        try
        {
            // What the event must write is already too much: refused before writing a byte of it.
            long atLeast = (long)record.MinBytes + open.EnvelopeLength;
            if (atLeast > _maxBytes)
            {
                Oversize(atLeast, "at least ", open.Partition, id);
                return;
            }

            Append(open, ref record, id);
        }
        catch (Exception ex)
        {
            // A custom wire format (or a bug) threw: this one event is lost, counted, and the batch goes on.
            Interlocked.Increment(ref _counters.Failed);
            _diagnose(new DiagnosticEvent(DiagnosticKind.EventFailed, $"An event could not be serialized and was dropped: {ex.Message}", 1, ex));
            _fates?.Single(open.Partition, id, EventOutcome.Failed, ex.Message);
        }
        finally
        {
            RecycleRetired(in record);
            Volatile.Write(ref _processed, _processed + 1);
        }
    }

    /// <summary>The pooled memory batch bodies are written into.</summary>
    public RecyclableMemoryStreamManager Memory => _memory;

    /// <summary>
    /// A batch read back from the spool (<paramref name="body"/> holds its whole body, as sealed by an earlier run): it takes
    /// the next sequence number, so flushes and the tracker see one order, but is not counted as sealed by this engine.
    /// </summary>
    public Batch Adopt(int partition, int eventCount, int[] eventEnds, RecyclableMemoryStream body)
        => new(_nextBatch++, partition, _format, eventCount, eventEnds, _format.BatchPrefix(partition).Length, body, _memory);

    /// <summary>Seals every partition's batch that holds events (flush and shutdown); an empty one gives its body back.</summary>
    public void SealAll()
    {
        foreach (var open in _open)
        {
            if (open.Count > 0)
                Seal(open);
            else
                open.Abandon();
        }
    }

    /// <summary>Seals batches whose first event has waited <paramref name="linger"/>; returns the time until the next is due, if any.</summary>
    public TimeSpan? SealExpired(TimeSpan linger)
    {
        var next = TimeSpan.MaxValue; // none due
        long now = _time.GetTimestamp();
        foreach (var open in _open)
        {
            if (open.Count == 0)
                continue;
            var waited = _time.GetElapsedTime(open.FirstEventAt, now);
            if (waited >= linger)
                Seal(open);
            else
                next = TimeSpan.FromTicks(Math.Min(next.Ticks, (linger - waited).Ticks));
        }

        return next == TimeSpan.MaxValue ? null : next;
    }

    /// <summary>At a forced shutdown: drops what the open batches hold, returning how many events to count as lost (reported lost with <paramref name="causeOf"/> their partition's last failure).</summary>
    public long AbandonOpen(Func<int, string?>? causeOf = null)
    {
        long lost = 0;
        foreach (var open in _open)
        {
            lost += open.Count;
            if (open.Sequences is { } sequences)
                _fates?.OpenLost(open.Partition, sequences.AsSpan(0, open.Count), causeOf?.Invoke(open.Partition));
            open.Abandon();
        }

        return lost;
    }

    /// <summary>Recycles the arena chunks the record's producer used before the record's chunk (see <see cref="ArenaPool.RecycleRetired"/>).</summary>
    public void RecycleRetired(in EventRecord record) => _arenas.RecycleRetired(in record);

    /// <summary>
    /// Writes the event at the end of the open batch, then keeps it there if the body stays within the
    /// partition's limit; otherwise the batch is sealed without it and it opens the next one, unless it
    /// is too large even alone, then it is refused and the batch stays open.
    /// </summary>
    private void Append(OpenBatch open, ref EventRecord record, long id)
    {
        if (!open.IsOpen)
            open.Open(_format.BatchPrefix(open.Partition), _maxEvents);

        try
        {
            open.Write(_format, ref record, id);
        }
        catch
        {
            open.Rollback();
            throw;
        }

        long end = open.Position;
        long alone = open.EnvelopeLength + (end - open.EventStart); // its body in a batch of its own
        int limit = open.MaxBytes;
        if (end + open.SuffixLength > limit)
        {
            if (alone > _maxBytes)
            {
                open.Rollback();
                Oversize(alone, "", open.Partition, id);
                return;
            }

            if (open.Count > 0)
                Enqueue(open.SealBeforeLast(_nextBatch++, _format, _maxEvents));
        }

        if (open.Count == 0)
        {
            open.FirstEventAt = _time.GetTimestamp();
            _opened = true;
        }

        open.Commit(id);

        // Alone above a limit lowered after a 413 (only a guess at the server's, for packing events) but
        // within the configured one, it goes alone, and the server decides.
        if (open.Count == _maxEvents || alone > limit)
            Seal(open);
    }

    private void Seal(OpenBatch open) => Enqueue(open.Seal(_nextBatch++, _format));

    private void Enqueue(Batch batch)
    {
        _counters.BatchesSealed++;
        _counters.EventsSealed += batch.EventCount;
        _counters.BytesSealed += batch.Length;
        _sealed.Enqueue(batch);
    }

    private void Oversize(long size, string qualifier, int partition, long sequence)
    {
        _counters.RejectedOversize++;
        string message = string.Create(CultureInfo.InvariantCulture, $"An event of {qualifier}{size:N0} bytes (with the batch envelope) exceeds the batch limit of {_maxBytes:N0} bytes and was not sent.");
        _diagnose(new DiagnosticEvent(DiagnosticKind.EventOversize, message, 1));
        _fates?.Single(partition, sequence, EventOutcome.Oversize, message);
    }
}
