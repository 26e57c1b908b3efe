using Sluice.Cli;
using Sluice.Diagnostics;
using Sluice.Producing;

namespace Sluice.Tests.Cli;

/// <summary>Where a rerun resumes: accepted events mapped back to input lines, and the settled prefix.</summary>
public class ResumeLedgerTests
{
    [Fact]
    public void Events_map_back_to_their_lines_across_the_lines_that_were_not_accepted()
    {
        var ledger = Accepting(1, 2, 3, 5, 6, 9, 10);
        Assert.Equal([1L, 2, 3, 5, 6, 9, 10], Enumerable.Range(0, 7).Select(e => ledger.LineOf(e)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.LineOf(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.LineOf(-1));
    }

    [Fact]
    public void With_every_event_settled_for_good_a_rerun_resumes_after_the_last_line_read()
    {
        var ledger = Accepting(1, 2, 4);
        ledger.Observe(() => Counters(accepted: 3, delivered: 2, rejectedByServer: 1));
        Assert.Equal(3, ledger.SettledPrefix);
        Assert.Equal(7, ledger.ResumeAfter(linesRead: 7)); // lines 5-7 were blank or invalid: settled too
    }

    [Fact]
    public void An_event_that_expired_or_was_lost_leaves_the_resume_point_at_the_last_settled_prefix()
    {
        var ledger = Accepting(1, 2, 3);
        ledger.Observe(() => Counters(accepted: 2, delivered: 2)); // a moment when the first two were settled
        Accept(ledger, 5, 6);
        ledger.Observe(() => Counters(accepted: 5, delivered: 4, expired: 1));

        Assert.Equal(2, ledger.SettledPrefix);
        Assert.Equal(2, ledger.ResumeAfter(linesRead: 6)); // event 2 (line 3) may be the one not delivered
    }

    [Fact]
    public void Nothing_known_settled_means_resuming_before_the_first_accepted_line()
    {
        var ledger = Accepting(4, 5);
        ledger.Observe(() => Counters(accepted: 2, delivered: 1, lostAtShutdown: 1));
        Assert.Equal(3, ledger.ResumeAfter(linesRead: 5)); // lines 1-3 (skipped, blank or invalid) need no rerun
    }

    [Fact]
    public void A_line_refused_because_the_queue_was_full_or_the_engine_was_stopping_is_not_settled()
    {
        var ledger = Accepting(1, 2);
        ledger.Refused(new IngestError(3, IngestRefusal.Invalid, "bad"));
        ledger.Refused(new IngestError(4, IngestRefusal.ShuttingDown, "stopping"));
        ledger.Observe(() => Counters(accepted: 2, delivered: 2));
        Assert.Equal(3, ledger.ResumeAfter(linesRead: 4));
        Assert.Equal(4, ledger.LastLine);
    }

    [Fact]
    public void A_snapshot_taken_while_events_were_being_accepted_teaches_nothing()
    {
        // The terminal counts may include later events in place of earlier ones still pending.
        var ledger = Accepting(1, 2, 3);
        var snapshots = new Queue<SluiceCounters>([Counters(accepted: 2, delivered: 2), Counters(accepted: 3, delivered: 2)]);
        ledger.Observe(snapshots.Dequeue);
        Assert.Equal(0, ledger.SettledPrefix);
        Assert.Equal(0, ledger.ResumeAfter(linesRead: 3));
    }

    private static ResumeLedger Accepting(params long[] lines)
    {
        var ledger = new ResumeLedger();
        Accept(ledger, lines);
        return ledger;
    }

    private static void Accept(ResumeLedger ledger, params long[] lines)
    {
        foreach (long line in lines)
            ledger.Accepted(line);
    }

    private static SluiceCounters Counters(long accepted, long delivered = 0, long rejectedByServer = 0, long expired = 0, long lostAtShutdown = 0)
        => new() { Accepted = accepted, Delivered = delivered, RejectedByServer = rejectedByServer, Expired = expired, LostAtShutdown = lostAtShutdown };
}
