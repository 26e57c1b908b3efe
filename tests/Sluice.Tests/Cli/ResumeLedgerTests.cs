using Sluice.Cli;
using Sluice.Diagnostics;
using Sluice.Producing;

namespace Sluice.Tests.Cli;

/// <summary>Where a rerun resumes: accepted events mapped back to input lines by sequence number, and the prefix the engine's per-event reports settle.</summary>
public class ResumeLedgerTests
{
    [Fact]
    public void Events_map_back_to_their_lines_across_the_lines_that_were_not_accepted()
    {
        var ledger = Accepting(1, 2, 3, 5, 6, 9, 10);
        Assert.Equal([1L, 2, 3, 5, 6, 9, 10], Enumerable.Range(0, 7).Select(e => ledger.LineOf(e)));
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.LineOf(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => ledger.LineOf(-1));

        // Sequences the engine gave another caller before the ingest began have no line.
        var later = new ResumeLedger();
        later.Accepted(lineNumber: 1, sequence: 3);
        Assert.Equal(1, later.LineOf(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => later.LineOf(2));
    }

    [Fact]
    public void With_no_event_accepted_every_line_read_is_settled()
    {
        var ledger = new ResumeLedger();
        ledger.Refused(new IngestError(1, IngestRefusal.Invalid, "bad"));
        Assert.Equal(5, ledger.ResumeAfter(linesRead: 5)); // blank, skipped or invalid: a rerun would meet them again
    }

    [Fact]
    public void With_every_event_settled_for_good_a_rerun_resumes_after_the_last_line_read()
    {
        var ledger = Accepting(1, 2, 4);
        Settle(ledger, (0, EventOutcome.Delivered), (2, EventOutcome.Rejected));
        Assert.Equal(1, ledger.SettledPrefix); // sequence 1 is not settled yet
        Settle(ledger, (1, EventOutcome.Delivered));
        Assert.Equal(3, ledger.SettledPrefix);
        Assert.Equal(7, ledger.ResumeAfter(linesRead: 7)); // lines 5-7 were blank or invalid: settled too
    }

    [Fact]
    public void Batches_settling_out_of_order_advance_the_prefix_only_when_the_gap_fills()
    {
        var ledger = Accepting([.. Enumerable.Range(1, 300).Select(l => (long)l)]);
        Settle(ledger, [.. Enumerable.Range(100, 200).Select(s => ((long)s, EventOutcome.Delivered))]);
        Assert.Equal(0, ledger.SettledPrefix);
        Assert.Equal(0, ledger.ResumeAfter(linesRead: 300));
        Settle(ledger, [.. Enumerable.Range(0, 100).Select(s => ((long)s, EventOutcome.Delivered))]);
        Assert.Equal(300, ledger.SettledPrefix);
        Assert.Equal(300, ledger.ResumeAfter(linesRead: 300));
    }

    [Theory]
    [InlineData(EventOutcome.Expired)]
    [InlineData(EventOutcome.Lost)]
    [InlineData(EventOutcome.OutcomeUnknown)]
    [InlineData(EventOutcome.Failed)]
    public void An_event_a_rerun_must_send_again_stops_the_resume_point_before_its_line(EventOutcome outcome)
    {
        var ledger = Accepting(1, 2, 3, 5, 6);
        Settle(ledger, (0, EventOutcome.Delivered), (1, EventOutcome.Delivered), (2, outcome), (3, EventOutcome.Delivered), (4, EventOutcome.Delivered));

        Assert.Equal(2, ledger.SettledPrefix);
        Assert.Equal(2, ledger.ResumeAfter(linesRead: 6)); // event 2 (line 3) must be sent again
    }

    [Fact]
    public void An_event_kept_in_the_spool_is_settled_for_the_input_the_rerun_on_the_spool_sends_it()
    {
        var ledger = Accepting(1, 2, 3, 4);
        Settle(ledger, (0, EventOutcome.Delivered), (1, EventOutcome.Spooled), (2, EventOutcome.Spooled), (3, EventOutcome.Delivered));

        Assert.Equal(4, ledger.SettledPrefix);
        Assert.Equal(5, ledger.ResumeAfter(linesRead: 5));
    }

    [Fact]
    public void Events_the_spool_holds_unsettled_when_sending_was_aborted_do_not_hold_the_resume_point_back()
    {
        // A second signal: events 1-4 are in the spool (being sent, or waiting), not settled. The next run on the spool
        // sends them: a rerun reading their lines again would deliver them twice.
        var ledger = Accepting(1, 2, 3, 4, 5, 6);
        ledger.OnDisk([1, 2]);
        ledger.OnDisk([3, 4]);
        Settle(ledger, (0, EventOutcome.Delivered));

        Assert.Equal(1, ledger.SettledPrefix);
        Assert.Equal(4, ledger.UnsettledInSpool);
        Assert.Equal(5, ledger.ResumeAfter(linesRead: 6)); // event 5 (line 6) was never written to the spool

        // Settled, an event's outcome alone counts: one to send again stops the resume point, wherever it was written.
        Settle(ledger, (1, EventOutcome.Delivered), (2, EventOutcome.Failed));
        Assert.Equal(2, ledger.UnsettledInSpool);
        Assert.Equal(2, ledger.ResumeAfter(linesRead: 6));

        // The spool's byte cap deleted batches: which events it still holds is not known.
        var evicted = Accepting(1, 2, 3);
        evicted.OnDisk([0, 1, 2]);
        Assert.Equal(3, evicted.ResumeAfter(linesRead: 3));
        Assert.Equal(0, evicted.ResumeAfter(linesRead: 3, spoolKeptAll: false));
    }

    [Fact]
    public void Events_in_the_spool_keep_their_place_as_the_window_slides()
    {
        var ledger = Accepting([.. Enumerable.Range(1, 20_000).Select(l => (long)l)]);
        ledger.OnDisk([.. Enumerable.Range(15_000, 5_000).Select(s => (long)s)]);
        int before = ledger.WindowWords;
        Settle(ledger, [.. Enumerable.Range(0, 15_000).Select(s => ((long)s, EventOutcome.Delivered))]);

        Assert.True(ledger.WindowWords <= before, "the window slid, it did not grow");
        Assert.Equal(15_000, ledger.SettledPrefix);
        Assert.Equal(20_000, ledger.ResumeAfter(linesRead: 20_000));
        Settle(ledger, (19_999, EventOutcome.Expired));
        Assert.Equal(19_999, ledger.ResumeAfter(linesRead: 20_000));
    }

    [Fact]
    public void Once_the_spool_deleted_batches_the_resume_point_stops_before_the_first_spooled_event()
    {
        var ledger = Accepting(1, 2, 4, 5);
        Settle(ledger, (0, EventOutcome.Delivered), (2, EventOutcome.Spooled), (1, EventOutcome.Delivered), (3, EventOutcome.Spooled));

        Assert.Equal(3, ledger.ResumeAfter(linesRead: 5, spoolKeptAll: false)); // event 2 (line 4) may be gone from the spool
        Assert.Equal(5, ledger.ResumeAfter(linesRead: 5, spoolKeptAll: true));
    }

    [Fact]
    public void A_spooled_event_does_not_carry_the_resume_point_past_an_event_to_send_again()
    {
        var ledger = Accepting(1, 2, 3);
        Settle(ledger, (0, EventOutcome.Spooled), (1, EventOutcome.Expired), (2, EventOutcome.Spooled));

        Assert.Equal(1, ledger.ResumeAfter(linesRead: 3));
        Assert.Equal(0, ledger.ResumeAfter(linesRead: 3, spoolKeptAll: false));
    }

    [Fact]
    public void Nothing_known_settled_means_resuming_before_the_first_accepted_line()
    {
        var ledger = Accepting(4, 5);
        Settle(ledger, (1, EventOutcome.Delivered), (0, EventOutcome.Lost));
        Assert.Equal(3, ledger.ResumeAfter(linesRead: 5)); // lines 1-3 (skipped, blank or invalid) need no rerun
    }

    [Fact]
    public void A_line_refused_because_the_queue_was_full_or_the_engine_was_stopping_is_not_settled()
    {
        var ledger = Accepting(1, 2);
        ledger.Refused(new IngestError(3, IngestRefusal.Invalid, "bad"));
        ledger.Refused(new IngestError(4, IngestRefusal.ShuttingDown, "stopping"));
        Settle(ledger, (0, EventOutcome.Delivered), (1, EventOutcome.Delivered));
        Assert.Equal(3, ledger.ResumeAfter(linesRead: 4));
        Assert.Equal(4, ledger.LastLine);
    }

    [Fact]
    public void The_window_of_settled_sequences_slides_as_the_prefix_advances_over_a_long_send()
    {
        const int events = 100_000;
        var ledger = Accepting([.. Enumerable.Range(1, events).Select(l => (long)l)]);
        for (int start = 0; start < events; start += 1_000)
        {
            // Each pair of batches settles the later one first.
            int first = start, second = start + 500;
            Settle(ledger, [.. Enumerable.Range(second, 500).Select(s => ((long)s, EventOutcome.Delivered))]);
            Assert.Equal(first, ledger.SettledPrefix);
            Settle(ledger, [.. Enumerable.Range(first, 500).Select(s => ((long)s, EventOutcome.Delivered))]);
            Assert.Equal(start + 1_000, ledger.SettledPrefix);
        }

        Assert.Equal(events, ledger.ResumeAfter(linesRead: events));
        Assert.Equal(64, ledger.WindowWords); // slid along: never grown to the 1,563 words 100,000 events would take
    }

    [Fact]
    public void Consecutive_lines_are_kept_as_one_run_and_each_gap_starts_another()
    {
        var straight = Accepting([.. Enumerable.Range(1, 1_000).Select(l => (long)l)]);
        Assert.Equal(1, straight.Runs);
        Assert.Equal(1_000, straight.AcceptedEvents);
        Assert.Equal(1_000, straight.LastLine);

        var gaps = Accepting(1, 2, 3, 5, 6, 9, 10);
        Assert.Equal(3, gaps.Runs);
        Assert.Equal(7, gaps.AcceptedEvents);
        Assert.Equal(10, gaps.LastLine);
    }

    [Fact]
    public void Runs_behind_the_settled_prefix_are_let_go_so_a_bad_line_after_every_event_keeps_the_ledger_small()
    {
        // 100,000 events, each followed by a refused (or blank) line: every event starts a run of its own.
        const int events = 100_000;
        var ledger = new ResumeLedger();
        for (int start = 0; start < events; start += 1_000)
        {
            for (int s = start; s < start + 1_000; s++)
                ledger.Accepted(lineNumber: (2L * s) + 1, sequence: s);
            Settle(ledger, [.. Enumerable.Range(start, 1_000).Select(s => ((long)s, EventOutcome.Delivered))]);
        }

        Assert.True(ledger.Runs <= 4_096, $"{ledger.Runs:N0} runs kept for {events:N0} events, all settled");
        Assert.Equal(2 * events, ledger.ResumeAfter(linesRead: 2 * events));
        Assert.Equal((2L * (events - 1)) + 1, ledger.LineOf(events - 1));
    }

    [Fact]
    public void Runs_a_spooled_event_may_still_need_are_kept_though_the_prefix_passed_them()
    {
        const int events = 20_000;
        var ledger = new ResumeLedger();
        for (int s = 0; s < events; s++)
        {
            ledger.Accepted(lineNumber: (2L * s) + 1, sequence: s);
            if (s % 1_000 == 999)
                Settle(ledger, [.. Enumerable.Range(s - 999, 1_000).Select(e => ((long)e, e == 10 ? EventOutcome.Spooled : EventOutcome.Delivered))]);
        }

        Assert.Equal(events, ledger.SettledPrefix);
        Assert.Equal(2 * events, ledger.ResumeAfter(linesRead: 2 * events));
        Assert.Equal(20, ledger.ResumeAfter(linesRead: 2 * events, spoolKeptAll: false)); // sequence 10 is line 21
    }

    [Fact]
    public void The_last_event_unsettled_keeps_the_resume_point_before_its_line()
    {
        var ledger = Accepting(1, 2, 3);
        Settle(ledger, (0, EventOutcome.Delivered), (1, EventOutcome.Delivered));
        Assert.Equal(2, ledger.ResumeAfter(linesRead: 3));
    }

    [Fact]
    public void A_report_repeated_changes_nothing_before_or_behind_the_window()
    {
        var ledger = Accepting([.. Enumerable.Range(1, 5_000).Select(l => (long)l)]);
        Settle(ledger, (1, EventOutcome.Delivered));
        Settle(ledger, (1, EventOutcome.Delivered));
        Settle(ledger, (0, EventOutcome.Delivered));
        Assert.Equal(2, ledger.SettledPrefix);

        Settle(ledger, [.. Enumerable.Range(2, 4_000).Select(s => ((long)s, EventOutcome.Delivered))]); // the window slides past sequence 0
        Settle(ledger, (0, EventOutcome.Delivered));
        Assert.Equal(4_002, ledger.SettledPrefix);
    }

    [Fact]
    public void Events_settled_far_ahead_of_the_prefix_grow_the_window_and_are_counted_once_the_gap_fills()
    {
        var ledger = Accepting([.. Enumerable.Range(1, 30_000).Select(l => (long)l)]);
        Settle(ledger, (20_000, EventOutcome.Delivered)); // beyond twice the window: grown to reach it, no further
        Assert.InRange(ledger.WindowWords, (20_000 / 64) + 1, 2 * ((20_000 / 64) + 1));
        Settle(ledger, [.. Enumerable.Range(5_000, 25_000).Where(s => s != 20_000).Select(s => ((long)s, EventOutcome.Delivered))]);
        Assert.Equal(0, ledger.SettledPrefix);

        Settle(ledger, [.. Enumerable.Range(0, 5_000).Select(s => ((long)s, EventOutcome.Delivered))]);
        Assert.Equal(30_000, ledger.ResumeAfter(linesRead: 30_000));
    }

    [Fact]
    public void A_prefix_reaching_the_end_of_the_window_exactly_stops_there()
    {
        const int events = 64 * 64; // the initial window
        var ledger = Accepting([.. Enumerable.Range(1, events).Select(l => (long)l)]);
        Settle(ledger, [.. Enumerable.Range(0, events).Select(s => ((long)s, EventOutcome.Delivered))]);
        Assert.Equal(events, ledger.SettledPrefix);
        Assert.Equal(events, ledger.ResumeAfter(linesRead: events));
    }

    [Fact]
    public void An_event_the_server_rejected_is_told_by_its_input_line_or_as_unknown_if_it_settled_before_its_line_was_recorded()
    {
        var told = new List<(long? Line, string? Why)>();
        var ledger = new ResumeLedger((line, why) => told.Add((line, why)));
        ledger.Accepted(1, 0);
        ledger.Accepted(2, 1);
        ledger.Accepted(5, 2);
        ledger.Accepted(6, 3);

        // Sequence 4 was accepted by the engine, and settled, before the reading flow recorded its line.
        ledger.Settled(new SettledEvents(0, 7, [0, 2, 3, 4], [EventOutcome.Delivered, EventOutcome.Rejected, EventOutcome.Rejected, EventOutcome.Rejected],
            [null, "HTTP 400: bad field", null, "HTTP 400: late"], "HTTP 400: the batch"));

        Assert.Equal([(5, "HTTP 400: bad field"), (6, "HTTP 400: the batch"), (null, "HTTP 400: late")], told);
        Assert.Equal(1, ledger.SettledPrefix); // told, and settled for good as before
    }

    [Fact]
    public void A_rejected_event_far_into_a_long_input_is_told_by_its_line_after_the_runs_before_it_were_let_go()
    {
        var told = new List<long?>();
        var ledger = new ResumeLedger((line, _) => told.Add(line));
        for (long s = 0; s < 3_000; s++)
        {
            ledger.Accepted(2 * s + 1, s); // a blank line after each event: one run per event
            if (s % 100 == 99)
                Settle(ledger, [.. Enumerable.Range((int)s - 99, 100).Where(e => e != 2_500).Select(e => ((long)e, EventOutcome.Delivered))]);
        }

        Assert.True(ledger.Runs < 1_100, $"{ledger.Runs} runs kept");
        Settle(ledger, (2_500, EventOutcome.Rejected));
        Assert.Equal([5_001L], told);
        Assert.Equal(3_000, ledger.SettledPrefix);
    }

    private static ResumeLedger Accepting(params long[] lines)
    {
        var ledger = new ResumeLedger();
        for (int i = 0; i < lines.Length; i++)
            ledger.Accepted(lines[i], i);
        return ledger;
    }

    private static void Settle(ResumeLedger ledger, params (long Sequence, EventOutcome Outcome)[] events)
    {
        long[] sequences = [.. events.Select(e => e.Sequence)];
        EventOutcome[] outcomes = [.. events.Select(e => e.Outcome)];
        ledger.Settled(new SettledEvents(0, 0, sequences, outcomes, default, null));
    }
}
