using System.Buffers;
using System.Diagnostics;
using Microsoft.IO;
using Sluice.Producing;
using Sluice.Serialization;

namespace Sluice.Batching;

/// <summary>
/// One partition's batch being filled: its body (a <see cref="RecyclableMemoryStream"/> used as the
/// <see cref="IBufferWriter{T}"/> of the partition's <see cref="EventWriter"/>, which stays attached
/// across events) and the end of each event in it. The writer's pending bytes give an event's exact
/// end, so nothing is flushed per event. Used only by the serializer, except the byte limit (<see cref="MaxBytes"/> and what changes it).
/// </summary>
internal sealed class OpenBatch
{
    private readonly RecyclableMemoryStreamManager _memory;
    private readonly bool _recordSequences;
    private readonly Lock _limitLock = new();
    private int _maxBytes;    // written under _limitLock
    private long _refusedAt;  // the last 413's timestamp, under _limitLock

    // Used only by the serializer.
    private RecyclableMemoryStream? _body;
    private long _writerStart;    // the body's length when the writer was attached: its bytes follow
    private bool _separatorOwed;  // the writer was attached after an event: the next one needs a comma first
    private long _lastLength;     // the last sealed body's length: the next body takes its blocks at once

    /// <summary>A partition's open batch; with <paramref name="recordSequences"/>, batches keep their events' sequence numbers (someone listens to their fates).</summary>
    public OpenBatch(int partition, int maxBytes, int prefixLength, int suffixLength, RecyclableMemoryStreamManager memory, bool recordSequences = false, DefaultContext? defaultContext = null)
    {
        _recordSequences = recordSequences;
        Writer = new EventWriter(defaultContext);
        Partition = partition;
        _maxBytes = ConfiguredMaxBytes = maxBytes;
        PrefixLength = prefixLength;
        SuffixLength = suffixLength;
        _memory = memory;
    }

    public int Partition { get; }

    /// <summary>Writes events into the body.</summary>
    public EventWriter Writer { get; }

    /// <summary>The wire format's prefix and suffix lengths (fixed by contract).</summary>
    public int PrefixLength { get; }

    public int SuffixLength { get; }

    /// <summary>Prefix plus suffix: the body of a batch with no event.</summary>
    public int EnvelopeLength => PrefixLength + SuffixLength;

    /// <summary>The byte limit it was created with (<see cref="SluiceOptions.MaxBatchBytes"/>), which <see cref="RestoreMaxBytes"/> restores.</summary>
    public int ConfiguredMaxBytes { get; }

    /// <summary>
    /// This partition's byte limit; lowered by a sender after a 413 (<see cref="LowerMaxBytes"/>), raised back to the
    /// configured one by a sender some time after (<see cref="RestoreMaxBytes"/>), read by the serializer.
    /// </summary>
    public int MaxBytes => Volatile.Read(ref _maxBytes);

    /// <summary>
    /// Lowers <see cref="MaxBytes"/> to <paramref name="value"/> unless it is already lower; never raises it. Notes
    /// <paramref name="at"/> (a <see cref="TimeProvider"/> timestamp) as the last 413, lowering or not: the limit it found
    /// is still refused. Any thread.
    /// </summary>
    /// <returns>The limit now in force.</returns>
    public int LowerMaxBytes(int value, long at)
    {
        // Under the lock with the restore, so that a restore deciding on an old 413 cannot undo a lowering made meanwhile.
        lock (_limitLock)
        {
            _refusedAt = at;
            int lowered = Math.Min(value, _maxBytes);
            Volatile.Write(ref _maxBytes, lowered);
            return lowered;
        }
    }

    /// <summary>
    /// Raises <see cref="MaxBytes"/> back to the configured limit if it is lower and the last 413 is at least
    /// <paramref name="after"/> old on <paramref name="time"/>. Any thread.
    /// </summary>
    /// <returns>The limit it replaced, or null if it did not.</returns>
    public int? RestoreMaxBytes(TimeProvider time, TimeSpan after)
    {
        if (Volatile.Read(ref _maxBytes) == ConfiguredMaxBytes)
            return null; // the common case (never lowered), called after every delivery: no lock
        lock (_limitLock)
        {
            int before = _maxBytes;
            if (before == ConfiguredMaxBytes || time.GetElapsedTime(_refusedAt) < after)
                return null;
            Volatile.Write(ref _maxBytes, ConfiguredMaxBytes);
            return before;
        }
    }

    /// <summary>Whether the body exists (the prefix is written, possibly no event yet).</summary>
    public bool IsOpen => _body is not null;

    public int Count { get; private set; }

    /// <summary>Body offset just past each event; handed to the sealed batch.</summary>
    public int[]? Ends { get; private set; }

    /// <summary>Each event's sequence number, if recorded (pooled); handed to the sealed batch.</summary>
    public long[]? Sequences { get; private set; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> when the first event went in: the linger clock.</summary>
    public long FirstEventAt { get; set; }

    /// <summary>The end of the last event, or of the prefix: where the body is cut back to.</summary>
    public long LastEnd => Count > 0 ? Ends![Count - 1] : PrefixLength;

    /// <summary>Where the event being written starts: after the last one and its comma.</summary>
    public long EventStart => Count > 0 ? LastEnd + 1 : LastEnd;

    /// <summary>The body's length including what the writer holds pending: after an event, its exact end.</summary>
    public long Position => _writerStart + Writer.Written;

    /// <summary>The bytes the body holds (the writer may hold more, pending).</summary>
    internal long Committed => _writerStart + Writer.Committed;

    public void Open(ReadOnlySpan<byte> prefix, int maxEvents)
    {
        Debug.Assert(!IsOpen && prefix.Length == PrefixLength, "Open once, with the format's prefix.");
        _body = NewBody(prefix);
        Ends = ArrayPool<int>.Shared.Rent(maxEvents);
        Sequences = _recordSequences ? ArrayPool<long>.Shared.Rent(maxEvents) : null;
        Count = 0;
        Attach(separatorOwed: false);
    }

    /// <summary>Writes one event after the others (uncommitted until <see cref="Commit"/>).</summary>
    public void Write(WireFormat format, ref EventRecord record, long id)
    {
        if (_separatorOwed)
        {
            // The writer was reset after an event (see Rollback): it does not know a comma is due.
            _body!.WriteByte((byte)',');
            Attach(separatorOwed: false);
        }

        Writer.Write(format, ref record, id);
    }

    /// <summary>Counts the event just written, ending at <see cref="Position"/>, whose sequence number is <paramref name="sequence"/>.</summary>
    public void Commit(long sequence = -1)
    {
        long end = Position;
        Sequences?[Count] = sequence;
        Ends![Count++] = (int)end;

        // The stream hands the writer a temporary block when it asks for more room than its current
        // block has left (the writer asks for 4 KB at a time), and copies it in on the next Advance.
        // Pending bytes that span a block edge are in such a block: hand them over now, so the writer
        // goes on in the next pooled block instead of a temporary one for the rest of the body.
        if (Committed / BatchMemory.BlockSize != (end - 1) / BatchMemory.BlockSize)
            Writer.Flush();
    }

    /// <summary>Cuts the event being written (not committed) off the body.</summary>
    public void Rollback()
    {
        // The writer's pending bytes may hold committed events too: hand everything over, then cut.
        HandOverPending();
        _body!.SetLength(LastEnd);
        Attach(separatorOwed: Count > 0);
    }

    /// <summary>
    /// Seals the committed events (the suffix is appended and the body handed to the batch) and opens the
    /// next batch with the event being written as its first: its bytes move over, so it is not written again.
    /// Commit it next.
    /// </summary>
    public Batch SealBeforeLast(long sequence, WireFormat format, int maxEvents)
    {
        Debug.Assert(Count > 0, "Only after an event that stays.");
        Writer.Flush();
        long start = EventStart;
        long length = _body!.Length - start;
        var next = NewBody(format.BatchPrefix(Partition));
        _body.WriteTo(next, start, length);
        _body.SetLength(LastEnd);
        var batch = Seal(sequence, format);

        // The moved event ends the body (its end is Position); once committed, the next event needs a comma.
        _body = next;
        Ends = ArrayPool<int>.Shared.Rent(maxEvents);
        Sequences = _recordSequences ? ArrayPool<long>.Shared.Rent(maxEvents) : null;
        Attach(separatorOwed: true);
        return batch;
    }

    /// <summary>Appends the suffix and hands the body and the ends to a batch; the partition has no open batch after.</summary>
    public Batch Seal(long sequence, WireFormat format)
    {
        Debug.Assert(Count > 0, "A batch holds at least one event.");
        Writer.Flush();
        var body = _body!;
        Debug.Assert(body.Length == LastEnd, "Nothing follows the last event.");
        body.Write(format.BatchSuffix(Partition));
        _lastLength = body.Length;
        var batch = new Batch(sequence, Partition, format, Count, Ends!, PrefixLength, body, _memory, Sequences);
        Clear();
        return batch;
    }

    /// <summary>At a forced shutdown: drops the body without sending it (read the <see cref="Sequences"/> of its events first).</summary>
    public void Abandon()
    {
        if (_body is null)
            return;
        HandOverPending();
        _body.Dispose();
        ArrayPool<int>.Shared.Return(Ends!);
        if (Sequences is not null)
            ArrayPool<long>.Shared.Return(Sequences);
        Clear();
    }

    /// <summary>
    /// A body holding <paramref name="prefix"/>, with room for as much as the last one held. A stream
    /// that grows block by block reallocates its list of blocks at every block (quadratic in the blocks
    /// of a 2 MB body); sized up front, it takes them in one go, and a partition's batches tend to be alike.
    /// </summary>
    private RecyclableMemoryStream NewBody(ReadOnlySpan<byte> prefix)
    {
        var body = _memory.GetStream(tag: null, requiredSize: _lastLength);
        body.Write(prefix);
        return body;
    }

    private void Attach(bool separatorOwed)
    {
        Writer.Attach(_body!);
        _writerStart = _body!.Length;
        _separatorOwed = separatorOwed;
    }

    /// <summary>Hands what the writer holds pending to the body, which then gives back the temporary block it may have handed the writer.</summary>
    private void HandOverPending() => Writer.Flush();

    private void Clear()
    {
        _body = null;
        Ends = null;
        Sequences = null;
        Count = 0;
    }
}
