using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Serialization;
using Sluice.Diagnostics;
using Sluice.Producing;

namespace Sluice.Batching;

/// <summary>
/// The single serializer: writes each event with its partition's <see cref="JsonEventWriter"/> straight
/// into the open batch, and seals a batch exactly when it holds MaxBatchEvents events,
/// when the next event would push it past its byte limit (that event is rolled back and opens the
/// next batch), on linger, or on flush. Used only by the engine's consumer loop.
/// </summary>
internal sealed class BatchAssembler
{
    /// <summary>
    /// The JSON the engine writes, as <see cref="Utf8JsonWriter"/> settings: compact, UTF-8 as is, structure guaranteed by
    /// construction. <see cref="JsonEventWriter"/> writes exactly this; the benchmarks' ceiling and the tests' oracles use it.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private readonly WireFormat _format;
    private readonly int[] _partitionOfKind;
    private readonly OpenBatch[] _open;
    private readonly int _maxEvents;
    private readonly int _maxBytes; // the configured limit; a partition's may be lower after a 413
    private readonly SegmentPool _segments;
    private readonly ArenaPool _arenas;
    private readonly EngineCounters _counters;
    private readonly TimeProvider _time;
    private readonly Action<DiagnosticEvent> _diagnose;
    private readonly Queue<Batch> _sealed = new();
    private long _nextBatch;
    private long _nextEventId;

    public BatchAssembler(SluiceOptions options, SegmentPool segments, ArenaPool arenas, EngineCounters counters, Action<DiagnosticEvent> diagnose)
    {
        _format = options.WireFormat;
        _maxEvents = options.MaxBatchEvents;
        _maxBytes = options.MaxBatchBytes;
        _segments = segments;
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
            _open[p] = new OpenBatch(p, options.MaxBatchBytes, _format.BatchPrefix(p).Length, _format.BatchSuffix(p).Length, segments);
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

    /// <summary>Serializes one record into its partition's open batch; never throws.</summary>
    public void Add(ref EventRecord record)
    {
        var open = _open[_partitionOfKind[(int)record.Kind]];
        long id = _nextEventId++;
        try
        {
            int limit = open.MaxBytes;
            if ((long)record.MinBytes + open.EnvelopeLength > _maxBytes)
            {
                Oversize((long)record.MinBytes + open.EnvelopeLength, _maxBytes, "at least ");
                return;
            }

            bool appended = TryAppend(open, ref record, id, limit, out long total);
            if (!appended && open.Count > 0)
            {
                Seal(open);
                appended = TryAppend(open, ref record, id, limit, out total);
            }

            if (!appended)
            {
                // Alone it exceeds the partition's limit. A limit lowered after a 413 only guesses the
                // server's, for packing events: one within the configured limit goes alone, and the server decides.
                if (total <= _maxBytes && TryAppend(open, ref record, id, _maxBytes, out _))
                    Seal(open);
                else
                    Oversize(total, limit, "");
                return;
            }

            if (open.Count == _maxEvents)
                Seal(open);
        }
        catch (Exception ex)
        {
            // A custom wire format (or a bug) threw: this one event is lost, counted, and the batch goes on.
            Interlocked.Increment(ref _counters.Failed);
            _diagnose(new DiagnosticEvent(DiagnosticKind.EventFailed, $"An event could not be serialized and was dropped: {ex.Message}", 1, ex));
        }
        finally
        {
            RecycleRetired(in record);
            Volatile.Write(ref _processed, _processed + 1);
        }
    }

    /// <summary>Seals every partition's batch that holds events (flush and shutdown).</summary>
    public void SealAll()
    {
        foreach (var open in _open)
        {
            if (open.Count > 0)
                Seal(open);
        }
    }

    /// <summary>Seals batches whose first event has waited <paramref name="linger"/>; returns the time until the next is due, if any.</summary>
    public TimeSpan? SealExpired(TimeSpan linger)
    {
        TimeSpan? next = null;
        long now = _time.GetTimestamp();
        foreach (var open in _open)
        {
            if (open.Count == 0)
                continue;
            var waited = _time.GetElapsedTime(open.FirstEventAt, now);
            if (waited >= linger)
            {
                Seal(open);
            }
            else if (next is null || linger - waited < next)
            {
                next = linger - waited;
            }
        }

        return next;
    }

    /// <summary>At a forced shutdown: drops what the open batches hold, counting it as lost.</summary>
    public long AbandonOpen()
    {
        long lost = 0;
        foreach (var open in _open)
        {
            lost += open.Count;
            open.Abandon();
        }

        return lost;
    }

    /// <summary>Recycles the arena chunks the record's producer used before the record's chunk (see <see cref="ArenaPool.RecycleRetired"/>).</summary>
    public void RecycleRetired(in EventRecord record) => _arenas.RecycleRetired(in record);

    /// <summary>Writes the event into the open batch unless the body would pass <paramref name="limit"/>; <paramref name="total"/> is the body's length with it.</summary>
    private bool TryAppend(OpenBatch open, ref EventRecord record, long id, int limit, out long total)
    {
        if (!open.IsOpen)
            open.Open(_format.BatchPrefix(open.Partition), _maxEvents);

        long mark = open.Position;
        try
        {
            open.BeginEvent();
            _format.WriteEvent(open.Writer, new EventView(ref record, id, open.Names));
        }
        catch
        {
            open.Rollback(mark);
            throw;
        }

        long end = open.Position;
        total = end + open.SuffixLength;
        if (total > limit)
        {
            // Roll back to the last event boundary; the caller seals and retries in a fresh batch.
            open.Rollback(mark);
            return false;
        }

        if (open.Count == 0)
        {
            open.FirstEventAt = _time.GetTimestamp();
            _opened = true;
        }

        open.Ends![open.Count++] = (int)end;
        return true;
    }

    private void Seal(OpenBatch open)
    {
        open.Flush();
        var suffix = open.Buffer.WriteContiguous(_format.BatchSuffix(open.Partition));
        long length = open.Buffer.Length;
        var body = open.Buffer.Detach(out var first);
        var batch = new Batch(_nextBatch++, open.Partition, _format, open.Count, open.Ends!, open.EnvelopeLength - open.SuffixLength,
            body, first, suffix, _segments);
        _counters.BatchesSealed++;
        _counters.EventsSealed += open.Count;
        _counters.BytesSealed += length;
        open.Clear();
        _sealed.Enqueue(batch);
    }

    private void Oversize(long size, int limit, string qualifier)
    {
        _counters.RejectedOversize++;
        _diagnose(new DiagnosticEvent(DiagnosticKind.EventOversize,
            $"An event of {qualifier}{size:N0} bytes (with the batch envelope) exceeds the batch limit of {limit:N0} bytes and was not sent.", 1));
    }
}
