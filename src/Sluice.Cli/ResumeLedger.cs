using Sluice.Diagnostics;
using Sluice.Producing;

namespace Sluice.Cli;

/// <summary>
/// Where a rerun of <c>send</c> can resume (<c>--skip-lines N</c>): the last input line such that every
/// line up to it is settled for good: its event delivered or refused for a reason a rerun would meet
/// again (rejected by the server, oversize, invalid, unless it is the last line and has no newline: it may be cut short), or kept in the spool (the rerun on that spool sends
/// it first: sending its line again as well would deliver it twice; so is an event of a batch the spool holds, unsettled
/// when a second signal stopped the send at once), or the line blank or skipped. Lines
/// refused because the queue was full or the engine was stopping, and events that expired, failed, were
/// lost or have an unknown outcome, are not settled for good: a rerun must send them again. So must
/// spooled events once the spool's byte cap has deleted batches: which ones is not known.
/// <para>
/// Each accepted event comes with its sequence number (<see cref="EnqueueResult.Sequence"/>); with the
/// ingest as the engine's only caller they are 0, 1, ... in the order of the lines. The ledger maps a
/// sequence back to its input line (<see cref="LineOf"/>, kept as runs of consecutive lines: one entry
/// per gap, not per event, and only from the settled prefix on) and learns each event's fate from the engine (<see cref="Settled"/>, the
/// engine's <see cref="SluiceOptions.OnBatchSettled"/>): the <em>settled prefix</em> is the lowest
/// sequence not yet settled for good, so the resume point follows every settled event, whatever order
/// batches finish in, and stops for good before the first event a rerun must send again.
/// </para>
/// Written by the reading flow (<see cref="Accepted"/>, <see cref="Refused"/>) and by engine threads
/// (<see cref="Settled"/>, under a lock); <see cref="ResumeAfter"/> is read once sending has stopped.
/// <para>The line of each event the server rejected is told to <paramref name="rejected"/> (null: not known, the
/// event settled before its line was recorded), outside the lock: a user fixes the input by line, not by batch.</para>
/// </summary>
internal sealed class ResumeLedger(Action<long?, string?>? rejected = null) : IAcceptedLines
{
    // (first sequence, its line) for each run of events from consecutive lines. Runs wholly behind every sequence the
    // resume point may still ask about are let go (see LetGoSettledRuns), so a long input with a refused or blank line
    // after each event does not keep one run per event for the whole send. Changed by the reading flow only, under
    // _lock, which engine threads take to look up a rejected event's line; the reading flow reads it without.
    private readonly List<(long FirstEvent, long FirstLine)> _runs = [];

    // Reading flow only: the run count at which settled runs are next let go (doubles with what stays).
    private int _letGoAt = 1_024;

    // Written by the reading flow, read by anyone (Volatile).
    private long _accepted;
    private long _lastLine;
    private long _lastSequence = -1;

    // The first line refused for a reason a rerun may not meet again (queue full, shutting down, cut short); long.MaxValue if
    // none. Reading flow only.
    private long _firstUnsentRefusal = long.MaxValue;

    // Guards the fields below, written by the engine threads reporting settled batches (concurrently).
    private readonly Lock _lock = new();

    // Which sequences from _windowStart (a multiple of 64) on are settled for good: bit i of word w is sequence
    // _windowStart + 64w + i. Grows to the furthest sequence settled ahead of the prefix; slides as the prefix advances.
    private ulong[] _settled = new ulong[64];
    private long _windowStart;

    // Which sequences, in the same window, the spool holds and are not settled yet (OnDisk; cleared when settled): a send
    // stopped at once by a second signal leaves them there, and the next run on the spool sends them.
    private ulong[] _onDisk = new ulong[64];
    private long _onDiskEvents;

    // Sequences below it are all settled for good; written under the lock, read by anyone (Volatile).
    private long _settledPrefix;

    // The lowest sequence kept in the spool: where the resume point stops if the spool may not hold it any more.
    private long _firstSpooled = long.MaxValue;

    // Events reported settled, whatever their outcome (each is reported once).
    private long _settledEvents;

    // Completed once every event accepted is settled or in the spool (OnDiskOrSettled); null until asked.
    private TaskCompletionSource? _onDiskOrSettled;

    /// <summary>Events accepted so far.</summary>
    public long AcceptedEvents => Volatile.Read(ref _accepted);

    /// <summary>The last line accepted or refused so far (blank and skipped lines are not seen).</summary>
    public long LastLine => Volatile.Read(ref _lastLine);

    /// <summary>Runs of events from consecutive lines the ledger keeps (for tests: one per gap, not one per event).</summary>
    internal int Runs => _runs.Count;

    /// <summary>64-bit words of the settled window (for tests: it slides, so a long send keeps it small).</summary>
    internal int WindowWords
    {
        get
        {
            lock (_lock)
                return _settled.Length;
        }
    }

    /// <summary>Events the spool holds that are not settled yet (<see cref="OnDisk"/>): none once sending ended, unless it was aborted.</summary>
    public long UnsettledInSpool
    {
        get
        {
            lock (_lock)
                return _onDiskEvents;
        }
    }

    /// <summary>How many events, from sequence 0, are known to be settled for good.</summary>
    public long SettledPrefix => Volatile.Read(ref _settledPrefix);

    /// <inheritdoc/>
    public void Accepted(long lineNumber, long sequence)
    {
        long accepted = _accepted;
        if (_runs.Count == 0 || sequence != _lastSequence + 1 || lineNumber != LineOf(_lastSequence) + 1)
        {
            if (_runs.Count >= _letGoAt)
                LetGoSettledRuns();
            lock (_lock)
                _runs.Add((sequence, lineNumber));
        }
        Volatile.Write(ref _lastSequence, sequence);
        Volatile.Write(ref _accepted, accepted + 1);
        Volatile.Write(ref _lastLine, lineNumber);
    }

    public void Refused(IngestError error)
    {
        if (error.Reason is IngestRefusal.QueueFull or IngestRefusal.ShuttingDown)
            _firstUnsentRefusal = Math.Min(_firstUnsentRefusal, error.LineNumber);
        Volatile.Write(ref _lastLine, error.LineNumber);
    }

    /// <summary>
    /// Line <paramref name="lineNumber"/>, the last, was refused as invalid and has no newline: it may be a line cut short (a
    /// file still being written), which a rerun would read whole, so it is not settled for good.
    /// </summary>
    public void CutShort(long lineNumber) => _firstUnsentRefusal = Math.Min(_firstUnsentRefusal, lineNumber);

    /// <summary>
    /// The engine's report of a batch written to the spool before it is sent (<see cref="SluiceOptions.OnBatchSpooled"/>): until its
    /// events settle, the resume point may pass them, as the next run on the spool sends them (in flight, they may arrive twice, as
    /// any batch sent and not acknowledged before a run ended).
    /// </summary>
    public void OnDisk(ReadOnlySpan<long> sequences)
    {
        lock (_lock)
        {
            foreach (long sequence in sequences)
            {
                if (sequence < _windowStart)
                    continue;
                long offset = Cover(sequence);
                ref ulong word = ref _onDisk[offset / 64];
                ulong bit = 1UL << (int)(offset % 64);
                if ((word & bit) == 0)
                    _onDiskEvents++;
                word |= bit;
            }

            CheckOnDiskOrSettled();
        }
    }

    /// <summary>
    /// Completes once every event accepted is settled (whatever its outcome) or in the spool: an engine ended then, before its
    /// deadline, loses none of them. Asked once no event can be accepted any more (the engine is shutting down).
    /// </summary>
    public Task OnDiskOrSettled()
    {
        lock (_lock)
        {
            _onDiskOrSettled ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            CheckOnDiskOrSettled();
            return _onDiskOrSettled.Task;
        }
    }

    private void CheckOnDiskOrSettled()
    {
        if (_onDiskOrSettled is { } waiting && _settledEvents + _onDiskEvents >= AcceptedEvents)
            waiting.TrySetResult();
    }

    /// <summary>The engine's report of settled events (<see cref="SluiceOptions.OnBatchSettled"/>): advances the settled prefix.</summary>
    public void Settled(in SettledEvents settled)
    {
        List<(long? Line, string? Why)>? rejections = null;
        lock (_lock)
        {
            for (int i = 0; i < settled.Count; i++)
            {
                long sequence = settled.Sequences[i];
                var outcome = settled.Outcomes[i];
                if (outcome == EventOutcome.Rejected && rejected is not null)
                {
                    // Not yet let go: the prefix is at or before this event, which is only now marked.
                    long? line = sequence <= Volatile.Read(ref _lastSequence) ? LineOf(sequence) : null;
                    (rejections ??= []).Add((line, settled.MessageOf(i) ?? settled.LastFailure));
                }

                // Settled, its outcome alone decides, whether the spool still holds it or not.
                NotOnDisk(sequence);

                // An event a rerun must send again (expired, failed, lost, unknown) is not marked: each is reported once, so
                // the prefix stops at it for good.
                if (outcome is EventOutcome.Delivered or EventOutcome.Rejected or EventOutcome.Oversize or EventOutcome.Spooled)
                    Mark(sequence);
                if (outcome == EventOutcome.Spooled)
                    _firstSpooled = Math.Min(_firstSpooled, sequence);
            }

            _settledEvents += settled.Count;
            Advance();
            CheckOnDiskOrSettled();
        }

        foreach (var (line, why) in rejections ?? [])
            rejected!(line, why);
    }

    /// <summary>The input line of accepted event <paramref name="sequence"/>.</summary>
    public long LineOf(long sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence, _lastSequence);
        int run = RunHolding(sequence);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, _runs[run].FirstEvent);
        return _runs[run].FirstLine + (sequence - _runs[run].FirstEvent);
    }

    /// <summary>The last run starting at or before <paramref name="sequence"/> (the first, if none does).</summary>
    private int RunHolding(long sequence)
    {
        int lo = 0, hi = _runs.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_runs[mid].FirstEvent <= sequence)
                lo = mid;
            else
                hi = mid - 1;
        }

        return lo;
    }

    /// <summary>Whether the spool still holds every event it was given: its byte cap deleted no batch during the run.</summary>
    public static bool SpoolKeptAll(SluiceCounters counters) => counters.SpoolEvicted == 0;

    /// <summary>
    /// The resume point once sending has stopped, after reading line <paramref name="linesRead"/>: every line
    /// up to it is settled for good, or in the spool unsettled (a send aborted by a second signal); 0 when nothing is
    /// known to be. <paramref name="spoolKeptAll"/>: the spool deleted no batch (its byte cap evicted none), so every
    /// event it was given is still in it.
    /// </summary>
    public long ResumeAfter(long linesRead, bool spoolKeptAll = true)
    {
        long prefix = SettledPrefix;
        lock (_lock)
        {
            // Spooled events the cap may have deleted are not known to be in the spool; unsettled ones the spool holds are
            // sent by the next run on it.
            prefix = spoolKeptAll ? PassOnDisk(prefix) : Math.Min(prefix, _firstSpooled);
        }

        long resume = prefix > _lastSequence ? linesRead : LineOf(prefix) - 1;
        return Math.Min(resume, _firstUnsentRefusal - 1);
    }

    /// <summary>
    /// The resume point while the send runs (<see cref="ResumeFile"/>), from any thread: as <see cref="ResumeAfter"/> with the
    /// last line accepted or refused as the lines read (the line is read before the sequences, which the reading flow writes
    /// first: a line never passes its event; blank lines after it are left out).
    /// </summary>
    public long ResumeSoFar(bool spoolKeptAll)
    {
        long lastLine = LastLine;
        lock (_lock)
            return ResumeAfter(lastLine, spoolKeptAll);
    }

    /// <summary>
    /// Drops the runs before the one holding the lowest sequence <see cref="ResumeAfter"/> may still look up: the
    /// settled prefix, or the first spooled event if lower (the spool's byte cap may yet make it the resume point).
    /// The lower of the two never falls below what it is now: events are reported once, and the prefix stops at the
    /// first unsettled one, so an event spooled later is at or past today's prefix.
    /// </summary>
    private void LetGoSettledRuns()
    {
        lock (_lock)
            _runs.RemoveRange(0, RunHolding(Math.Min(_settledPrefix, _firstSpooled)));
        _letGoAt = Math.Max(1_024, 2 * _runs.Count);
    }

    private void Mark(long sequence)
    {
        if (sequence < _windowStart)
            return; // already below the prefix (reported once; a duplicate changes nothing)
        long offset = Cover(sequence);
        _settled[offset / 64] |= 1UL << (int)(offset % 64);
    }

    private void NotOnDisk(long sequence)
    {
        long offset = sequence - _windowStart;
        if (offset < 0 || offset >= (long)_onDisk.Length * 64)
            return;
        ref ulong word = ref _onDisk[offset / 64];
        ulong bit = 1UL << (int)(offset % 64);
        if ((word & bit) != 0)
            _onDiskEvents--;
        word &= ~bit;
    }

    /// <summary>The offset of <paramref name="sequence"/> (at or past the window's start) in the window, grown to hold it.</summary>
    private long Cover(long sequence)
    {
        long offset = sequence - _windowStart;
        if (offset >= (long)_settled.Length * 64)
        {
            int words = (int)Math.Max(_settled.Length * 2L, (offset / 64) + 1);
            Array.Resize(ref _settled, words);
            Array.Resize(ref _onDisk, words);
        }

        return offset;
    }

    /// <summary>The first sequence from <paramref name="prefix"/> on that is neither settled for good nor in the spool.</summary>
    private long PassOnDisk(long prefix)
    {
        if (_onDiskEvents == 0)
            return prefix;
        while (true)
        {
            long offset = prefix - _windowStart;
            if (offset >= (long)_settled.Length * 64 || ((_settled[offset / 64] | _onDisk[offset / 64]) & (1UL << (int)(offset % 64))) == 0)
                return prefix;
            prefix++;
        }
    }

    private void Advance()
    {
        long prefix = _settledPrefix;
        while (true)
        {
            long offset = prefix - _windowStart;
            if (offset >= (long)_settled.Length * 64 || (_settled[offset / 64] & (1UL << (int)(offset % 64))) == 0)
                break;
            prefix++;
        }

        Volatile.Write(ref _settledPrefix, prefix);

        // Slide the window past the words wholly below the prefix once they are half of it.
        int below = (int)((prefix - _windowStart) / 64);
        if (below >= _settled.Length / 2 && below > 0)
        {
            Array.Copy(_settled, below, _settled, 0, _settled.Length - below);
            Array.Clear(_settled, _settled.Length - below, below);
            Array.Copy(_onDisk, below, _onDisk, 0, _onDisk.Length - below);
            Array.Clear(_onDisk, _onDisk.Length - below, below);
            _windowStart += below * 64L;
        }
    }
}
