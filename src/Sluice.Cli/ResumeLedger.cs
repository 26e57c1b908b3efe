using Sluice.Diagnostics;
using Sluice.Producing;

namespace Sluice.Cli;

/// <summary>
/// Where a rerun of <c>send</c> can resume (<c>--skip-lines N</c>): the last input line such that every
/// line up to it is settled for good: its event delivered or refused for a reason a rerun would meet
/// again (invalid, oversize, rejected by the server), or the line blank or skipped. Lines refused
/// because the queue was full or the engine was stopping, and events that expired, failed or were
/// lost, are not settled: a rerun must send them again.
/// <para>
/// Accepted events are numbered in the order they were accepted (0, 1, ...), which, with the ingest as
/// the engine's only caller, is the queue's ticket order. The ledger maps that number back to the
/// input line (<see cref="LineOf"/>, kept as runs of consecutive lines: one entry per gap, not per
/// event) and knows a <em>settled prefix</em>: a number of events all settled for good. Today the
/// prefix is learnt from the counters (<see cref="Observe"/>: when every event accepted so far is
/// settled and none of them needs resending, the prefix is everything accepted); an engine that
/// reports each event's fate would advance the prefix from that report instead (to the lowest event
/// number not yet settled for good), and the resume point would follow every settled event.
/// </para>
/// Written by the reading flow (<see cref="Accepted"/>, <see cref="Refused"/>) and a sampler
/// (<see cref="Observe"/>); <see cref="ResumeAfter"/> is read once reading has stopped.
/// </summary>
internal sealed class ResumeLedger : IAcceptedLines
{
    // Reading flow only: (first event number, its line) for each run of events from consecutive lines.
    private readonly List<(long FirstEvent, long FirstLine)> _runs = [];

    // Written by the reading flow, read by the sampler (Volatile).
    private long _accepted;
    private long _lastLine;

    // The first line refused for a transient reason (queue full, shutting down); long.MaxValue if none. Reading flow only.
    private long _firstUnsentRefusal = long.MaxValue;

    // Events 0 .. _settledPrefix - 1 are settled for good. Only grows. Written by the sampler.
    private long _settledPrefix;

    /// <summary>Events accepted so far.</summary>
    public long AcceptedEvents => Volatile.Read(ref _accepted);

    /// <summary>The last line accepted or refused so far (blank and skipped lines are not seen).</summary>
    public long LastLine => Volatile.Read(ref _lastLine);

    /// <summary>How many events, from the first, are known to be settled for good.</summary>
    public long SettledPrefix => Volatile.Read(ref _settledPrefix);

    /// <inheritdoc/>
    public void Accepted(long lineNumber)
    {
        long accepted = _accepted;
        if (_runs.Count == 0 || lineNumber != LineOf(accepted - 1) + 1)
            _runs.Add((accepted, lineNumber));
        Volatile.Write(ref _accepted, accepted + 1);
        Volatile.Write(ref _lastLine, lineNumber);
    }

    public void Refused(IngestError error)
    {
        if (error.Reason is IngestRefusal.QueueFull or IngestRefusal.ShuttingDown)
            _firstUnsentRefusal = Math.Min(_firstUnsentRefusal, error.LineNumber);
        Volatile.Write(ref _lastLine, error.LineNumber);
    }

    /// <summary>The input line of accepted event <paramref name="eventNumber"/> (0-based).</summary>
    public long LineOf(long eventNumber)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(eventNumber);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(eventNumber, _accepted);
        int lo = 0, hi = _runs.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) / 2;
            if (_runs[mid].FirstEvent <= eventNumber)
                lo = mid;
            else
                hi = mid - 1;
        }

        return _runs[lo].FirstLine + (eventNumber - _runs[lo].FirstEvent);
    }

    /// <summary>
    /// Learns from the engine's counters: if every event accepted by then is settled and each was
    /// delivered or refused for good, they all are in the settled prefix. An event that expired,
    /// failed or was lost stops the prefix where it is for good: which event it was is not known.
    /// </summary>
    /// <param name="counters">Takes a snapshot of the counters (called twice).</param>
    public void Observe(Func<SluiceCounters> counters)
    {
        // A snapshot reads Accepted before the terminal counts, which may then count events accepted
        // after it in place of earlier ones still pending. When a second snapshot finds Accepted
        // unchanged, nothing was accepted meanwhile: the first one's counts are of its own events.
        var first = counters();
        long forGood = first.Delivered + first.RejectedByServer + first.RejectedOversize;
        if (forGood != first.Accepted || first.Accepted <= Volatile.Read(ref _settledPrefix))
            return;
        if (counters().Accepted == first.Accepted)
            Volatile.Write(ref _settledPrefix, first.Accepted);
    }

    /// <summary>
    /// The resume point once reading has stopped after line <paramref name="linesRead"/>: every line
    /// up to it is settled for good; 0 when nothing is known to be.
    /// </summary>
    public long ResumeAfter(long linesRead)
    {
        long prefix = Math.Min(SettledPrefix, _accepted);
        long resume = prefix == _accepted ? linesRead : LineOf(prefix) - 1;
        return Math.Min(resume, _firstUnsentRefusal - 1);
    }
}
