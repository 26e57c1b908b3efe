using System.Buffers;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.IO;
using Sluice.Diagnostics;
using Sluice.Serialization;
using Sluice.Spooling;

namespace Sluice.Batching;

/// <summary>
/// A sealed batch: the exact request body in pooled memory, within the count and byte limits.
/// Valid only until the transport's <c>SendAsync</c> completes; a transport that needs the bytes
/// later must copy them (<see cref="Body"/> throws after that; its descriptive properties stay readable).
/// </summary>
public sealed class Batch
{
    // Pooled; null while the body waits on disk only (ReleaseBodyToDisk): the spool holds them with it.
    private int[]? _eventEnds;
    private readonly int _suffixLength;
    private readonly WireFormat _format;
    private readonly RecyclableMemoryStreamManager _memory;

    // The body's stream: its blocks go back to the pool when it is disposed (Release, once).
    private RecyclableMemoryStream? _body;

    // Events not yet in a terminal state. Decremented by whoever settles a part of the batch (its
    // sender, a probe, a forced shutdown); the one that brings it to zero finishes the batch.
    private int _unsettled;

    // Per-event fates, kept only when someone listens (OnBatchSettled): pooled arrays, handed back when the batch is
    // reported (ReturnOutcomes), not with the body, since a forced shutdown may settle events while the body is released.
    // The sequences are written by the serializer before sealing. An outcome is written by whoever claimed the event
    // (TrySettle/SettleRemaining) before it counts it written (OutcomesWritten): the one bringing _unwritten to zero
    // reads them all after that interlocked operation. Messages: created by the first settler with one (CAS).
    private long[]? _sequences;
    private EventOutcome[]? _outcomes;
    private string?[]? _messages;
    private int _unwritten;

    // Written by the job's owner after each failed attempt, read by whoever reports the batch.
    private string? _lastFailure;

    // The body's bytes, and whether they went back to the pool (Release): a transport that kept the batch past its
    // SendAsync would otherwise read blocks that later batches reuse, other events in place of this batch's.
    private ReadOnlySequence<byte> _bytes;
    private volatile bool _released;

    // The body is the whole request body, suffix included; the batch owns its stream from now on. With
    // sequences (pooled, at least eventCount long; the batch owns them), the batch records each event's outcome.
    internal Batch(long sequence, int partition, WireFormat format, int eventCount, int[] eventEnds, int prefixLength,
        RecyclableMemoryStream body, RecyclableMemoryStreamManager memory, long[]? sequences = null)
    {
        Debug.Assert(eventCount > 0 && eventEnds.Length >= eventCount, "A batch holds at least one event.");
        Sequence = sequence;
        Partition = partition;
        _format = format;
        EventCount = eventCount;
        _eventEnds = eventEnds;
        PrefixLength = prefixLength;
        _suffixLength = format.BatchSuffix(partition).Length;
        _body = body;
        _memory = memory;
        _bytes = body.GetReadOnlySequence();
        Length = _bytes.Length;
        _unsettled = eventCount;
        if (sequences is not null)
        {
            _sequences = sequences;
            _outcomes = ArrayPool<EventOutcome>.Shared.Rent(eventCount);
            Array.Clear(_outcomes, 0, eventCount); // 0: not settled yet
            _unwritten = eventCount;
        }
    }

    /// <summary>Order in which the engine sealed batches, from 0. The parts of a batch split after a 400 or 413 carry its sequence.</summary>
    public long Sequence { get; }

    /// <summary>The wire format's partition (endpoint) this batch goes to.</summary>
    public int Partition { get; }

    /// <summary>The endpoint path of the partition, e.g. <c>/api/track</c>.</summary>
    public string EndpointPath => _format.EndpointPath(Partition);

    /// <summary>The wire format that wrote the body.</summary>
    internal WireFormat Format => _format;

    /// <summary>The number of events in the body.</summary>
    public int EventCount { get; }

    /// <summary>The body's length in bytes, envelope included: exactly what the limits count.</summary>
    public long Length { get; }

    /// <summary>The request body, uncompressed. Valid until the transport's <c>SendAsync</c> completes.</summary>
    /// <exception cref="ObjectDisposedException">Read after that: the memory went back to the engine's pool.</exception>
    public ReadOnlySequence<byte> Body => _released
        ? throw new ObjectDisposedException(nameof(Batch), $"Batch {Sequence}'s body went back to the engine's pool when the transport's SendAsync completed: " +
            "a transport that needs the bytes later must copy them during SendAsync (Body.ToArray()).")
        : _bytes;

    internal int PrefixLength { get; }

    /// <summary>The engine's pool the body lies in, for a transport's own copy of it (a compressed body).</summary>
    internal RecyclableMemoryStreamManager Memory => _memory;

    /// <summary>Each event's end offset in the body, in order (what the spool records with the body).</summary>
    internal ReadOnlySpan<int> EventEnds => _eventEnds!.AsSpan(0, EventCount);

    /// <summary>
    /// Where the spool holds this batch, if it does: set by the serializer when it appends the batch (or replays it),
    /// before any sender sees the batch; read by senders and settlement after.
    /// </summary>
    internal SpoolTicket? SpoolTicket { get; set; }

    /// <summary>Whether the spool's copy is known to be on the device: set by the sender that synced it, or at replay.</summary>
    internal bool SpoolDurable { get; set; }

    /// <summary>A batch this engine left in the spool when its retries ran out, read back to be sent again: set by the serializer before it hands it over.</summary>
    internal bool Resent { get; set; }

    // Set by whoever settles a part of the batch as spooled (a sender, a probe, a forced shutdown), before it
    // settles that part; read by whoever settles the last part, to decide whether to acknowledge the spool's copy.
    private volatile bool _keepInSpool;

    /// <summary>Some of the batch's events were left to the spool: its record must not be acknowledged.</summary>
    internal bool KeepInSpool
    {
        get => _keepInSpool;
        set => _keepInSpool = value;
    }

    // Set, before settling, by whoever settles a part of the batch as spooled because its retries ran out.
    private volatile bool _ranOutOfRetries;

    /// <summary>Some of the batch's events were left to the spool because its retries ran out (not at a deadline, nor unread): it may be sent again.</summary>
    internal bool RanOutOfRetries
    {
        get => _ranOutOfRetries;
        set => _ranOutOfRetries = value;
    }

    // Added to, before settling, by whoever settles a part of the batch as spooled; read by whoever settles the last part.
    private int _spooledEvents;

    // The parts left to the spool because their retries ran out, in the order settled: written only by the job's owner, before it
    // settles each, so whoever settles the last part reads them after that interlocked settlement. Parts left at the shutdown
    // deadline are not listed: a batch kept then is not sent again by this engine (the next start sends its record whole).
    private List<(int Start, int Count)>? _spooledParts;

    /// <summary>
    /// How many of the batch's events were left to the spool: all of them, or, for a batch a 400 bisected, those of the parts
    /// not delivered nor rejected before.
    /// </summary>
    internal int SpooledEvents => Volatile.Read(ref _spooledEvents);

    /// <summary>
    /// The parts whose retries ran out, left to the spool, as (first event, count); null if none: what is sent again, not the parts a
    /// bisection delivered or had rejected before. Written again as a record of their own (<see cref="Slice(ReadOnlySpan{ValueTuple{int, int}})"/>),
    /// or, if the spool cannot take that, sent again from the batch's record, which holds every event (<see cref="SendOnly"/>).
    /// </summary>
    internal (int Start, int Count)[]? SpooledParts => _spooledParts?.ToArray();

    /// <summary>The job's owner, whose retries of events <paramref name="start"/> … ran out, before settling them as spooled.</summary>
    internal void AddSpooled(int start, int count)
    {
        (_spooledParts ??= []).Add((start, count));
        Interlocked.Add(ref _spooledEvents, count);
    }

    /// <summary>Whoever settles <paramref name="events"/> of the batch as spooled at the shutdown deadline, before settling them.</summary>
    internal void AddSpooled(int events) => Interlocked.Add(ref _spooledEvents, events);

    /// <summary>
    /// The parts of a batch read back to be sent again (<see cref="SpooledParts"/>); null for all of it. Set by the serializer
    /// before it hands the batch over; the delivery job starts with them.
    /// </summary>
    internal (int Start, int Count)[]? PartsToSend { get; private set; }

    /// <summary>Serializer, before handing a batch read back over: only <paramref name="parts"/> are sent, and settled.</summary>
    internal void SendOnly((int Start, int Count)[] parts)
    {
        Debug.Assert(parts.Length > 0 && parts.All(p => p.Count > 0 && p.Start >= 0 && p.Start + p.Count <= EventCount), "Parts of this batch.");
        PartsToSend = parts;
        _unsettled = parts.Sum(static p => p.Count);
    }

    /// <summary>Prefix plus suffix: the bytes of a body with no event.</summary>
    internal int EnvelopeLength => PrefixLength + _suffixLength;

    /// <summary>The JSON of one event of the body, without separators.</summary>
    public ReadOnlySequence<byte> GetEvent(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, EventCount);
        long start = index == 0 ? PrefixLength : _eventEnds![index - 1] + 1;
        return Body.Slice(start, _eventEnds![index] - start);
    }

    /// <summary>Rewrites the send-time parts of the envelope (such as <c>sentAt</c>) just before a send.</summary>
    internal void StampForSend(DateTimeOffset now)
    {
        // The suffix lies in the body's blocks, possibly across two: a copy is stamped and put back where
        // it lies (this batch's own memory, which the sequence exposes read-only). Once per send attempt.
        var suffix = Body.Slice(Body.Length - _suffixLength);
        Span<byte> copy = new byte[_suffixLength];
        suffix.CopyTo(copy);
        _format.StampBeforeSend(Partition, copy, now);
        foreach (var segment in suffix)
        {
            copy[..segment.Length].CopyTo(MemoryMarshal.AsMemory(segment).Span);
            copy = copy[segment.Length..];
        }
    }

    /// <summary>
    /// Claims <paramref name="events"/> of this batch's events for a terminal state. False if a forced
    /// shutdown already settled the rest. <paramref name="finished"/> tells whether these were the last.
    /// </summary>
    internal bool TrySettle(int events, out bool finished)
    {
        Debug.Assert(events > 0, "Settle at least one event.");
        int current = Volatile.Read(ref _unsettled);
        while (current >= events)
        {
            int seen = Interlocked.CompareExchange(ref _unsettled, current - events, current);
            // Stryker disable once Equality : with '!=' a successful exchange loops once more, where the count has already gone down by events, so that exchange fails and returns the same result
            if (seen == current)
            {
                finished = current == events;
                return true;
            }

            current = seen;
        }

        finished = false;
        return false;
    }

    /// <summary>Claims every event not yet settled (at shutdown); returns how many, zero if none were left.</summary>
    internal int SettleRemaining() => Interlocked.Exchange(ref _unsettled, 0);

    /// <summary>The sequences of its events, if it records their outcomes (<see cref="RecordsOutcomes"/>); else empty. Valid until <see cref="ReturnOutcomes"/>.</summary>
    internal ReadOnlySpan<long> Sequences => _sequences.AsSpan(0, _sequences is null ? 0 : EventCount);

    /// <summary>Whether the batch records its events' outcomes (someone listens to them).</summary>
    internal bool RecordsOutcomes => _outcomes is not null;

    /// <summary>The cause of the last failed attempt to send some of these events, if any.</summary>
    internal string? LastFailure
    {
        get => Volatile.Read(ref _lastFailure);
        set => Volatile.Write(ref _lastFailure, value);
    }

    /// <summary>
    /// Writes the outcome of events [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>), which
    /// the caller claimed, or, with <paramref name="unsetOnly"/> (a forced shutdown writing off what a job still lists),
    /// of those not written yet: the owner that claimed the others writes theirs after.
    /// </summary>
    internal void RecordOutcome(int start, int count, EventOutcome outcome, string? message, bool unsetOnly = false)
    {
        var outcomes = _outcomes!;
        // Stryker disable once Conditional : the array made for no message holds nulls, as none does: it only costs an allocation
        var messages = message is null ? null : Messages();
        for (int i = start; i < start + count; i++)
        {
            if (unsetOnly && outcomes[i] != 0)
                continue;
            outcomes[i] = outcome;
            if (messages is not null)
                messages[i] = message;
        }
    }

    /// <summary>Counts <paramref name="count"/> claimed events' outcomes as written; true for the caller whose events were the last, who reports the batch.</summary>
    internal bool OutcomesWritten(int count) => Interlocked.Add(ref _unwritten, -count) == 0;

    /// <summary>The batch as reported; valid until <see cref="ReturnOutcomes"/>.</summary>
    internal SettledEvents Settled()
    {
        var messages = Volatile.Read(ref _messages);
        return new SettledEvents(Partition, Sequence, _sequences.AsSpan(0, EventCount), _outcomes.AsSpan(0, EventCount),
            messages is null ? default : messages.AsSpan(0, EventCount), LastFailure);
    }

    /// <summary>Returns the fate arrays to their pools, once the batch is reported.</summary>
    internal void ReturnOutcomes()
    {
        ArrayPool<long>.Shared.Return(_sequences!);
        ArrayPool<EventOutcome>.Shared.Return(_outcomes!);
        if (_messages is not null)
            ArrayPool<string?>.Shared.Return(_messages, clearArray: true);
        _sequences = null;
        _outcomes = null;
        _messages = null;
    }

    private string?[] Messages()
    {
        var messages = Volatile.Read(ref _messages);
        if (messages is not null)
            return messages;
        var fresh = ArrayPool<string?>.Shared.Rent(EventCount);
        Array.Clear(fresh);
        return Interlocked.CompareExchange(ref _messages, fresh, null) ?? fresh;
    }

    /// <summary>The body length of events [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) in an envelope of their own.</summary>
    internal long RangeLength(int start, int count)
    {
        long first = start == 0 ? PrefixLength : _eventEnds![start - 1] + 1;
        return PrefixLength + (_eventEnds![start + count - 1] - first) + _suffixLength;
    }

    /// <summary>
    /// A new batch holding events [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) of this one
    /// in a fresh envelope, written into the same pool. It carries this batch's sequence, is never settled itself
    /// (its events are this batch's), and must be released after its send. Call before this batch is released.
    /// </summary>
    internal Batch Slice(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, EventCount);
        return Slice([(start, count)]);
    }

    /// <summary>
    /// A new batch holding the events of <paramref name="parts"/> (first event, count; in order, not overlapping), one part
    /// after the other, in a fresh envelope, as <see cref="Slice(int, int)"/> holds one part.
    /// </summary>
    internal Batch Slice(ReadOnlySpan<(int Start, int Count)> parts)
    {
        if (Volatile.Read(ref _body) is null)
            throw new InvalidOperationException("The batch's memory was already released.");
        int events = 0, next = 0;
        foreach (var (start, count) in parts)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(start, next, nameof(parts));
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count, nameof(parts));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, EventCount, nameof(parts));
            (next, events) = (start + count, events + count);
        }

        ArgumentOutOfRangeException.ThrowIfZero(events, nameof(parts));
        var prefix = _format.BatchPrefix(Partition);
        var body = _memory.GetStream();
        body.Write(prefix);
        int[] ends = ArrayPool<int>.Shared.Rent(events);
        int written = 0;
        foreach (var (start, count) in parts)
        {
            if (written > 0)
                body.WriteByte((byte)','); // as the serializer separates events

            // A part's events lie one after the other, commas included: one copy, and their ends shift by as much.
            long first = start == 0 ? PrefixLength : _eventEnds![start - 1] + 1;
            long last = _eventEnds![start + count - 1];
            long shift = body.Length - first;
            foreach (var segment in Body.Slice(first, last - first))
                body.Write(segment.Span);
            for (int i = start; i < start + count; i++)
                ends[written++] = (int)(_eventEnds![i] + shift);
        }

        body.Write(_format.BatchSuffix(Partition));
        return new Batch(Sequence, Partition, _format, events, ends, prefix.Length, body, _memory);
    }

    /// <summary>
    /// Serializer, before the batch is handed over: returns the body's blocks and its event ends to the pools while the spool
    /// holds the batch and the senders have no room for it, so that a backlog on disk costs no memory per event;
    /// <see cref="RestoreBody"/> puts what is read back from the spool in their place.
    /// </summary>
    internal void ReleaseBodyToDisk()
    {
        Debug.Assert(SpoolTicket is not null, "Only a batch the spool holds can give up its memory.");
        Interlocked.Exchange(ref _body, null)?.Dispose();
        _bytes = default;
        ArrayPool<int>.Shared.Return(_eventEnds!);
        _eventEnds = null;
    }

    /// <summary>Serializer: the body and event ends read back from the spool, exactly as appended (<see cref="Length"/> bytes).</summary>
    internal void RestoreBody(RecyclableMemoryStream body, int[] eventEnds)
    {
        Debug.Assert(body.Length == Length && eventEnds.Length >= EventCount, "The spool gives back the body and its ends as appended.");
        _eventEnds = eventEnds;
        _bytes = body.GetReadOnlySequence();
        Volatile.Write(ref _body, body);
    }

    /// <summary>Returns the pooled memory. Called once, after the last send attempt finished.</summary>
    internal void Release()
    {
        _released = true;
        var body = Interlocked.Exchange(ref _body, null);
        if (body is null)
            return;
        body.Dispose();
        ArrayPool<int>.Shared.Return(_eventEnds!); // present with the body
    }
}
