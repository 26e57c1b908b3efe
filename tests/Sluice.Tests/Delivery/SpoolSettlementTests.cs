using System.Text;
using Microsoft.IO;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Serialization;
using Sluice.Spooling;
using Sluice.Tests.Support;
using static Sluice.Tests.Support.TestBatches;

namespace Sluice.Tests.Delivery;

/// <summary>
/// Settlement with a spool on a real directory: what would expire or be written off at the shutdown deadline stays in the
/// spool (counted spooled, said so, reported per event), and a batch whose events all reached a final state is acknowledged.
/// </summary>
public sealed class SpoolSettlementTests : IDisposable
{
    private static readonly long[] Sequences = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109];

    private readonly TempDirectory _directory = new("sluice-spool-settlement");
    private readonly EngineCounters _counters = new();
    private readonly List<DiagnosticEvent> _diagnostics = [];
    private readonly FateLog _fates = new();
    private readonly DeliveryTracker _tracker = new();
    private readonly LastFailures _failures = new(ThriveStackFormat.Instance.PartitionCount);
    private DiskSpool? _disk;

    public void Dispose()
    {
        _disk?.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task Events_out_of_retries_stay_in_the_spool_counted_spooled_and_the_message_says_they_are_not_expired()
    {
        var journal = await JournalAsync();
        var batch = Spooled(journal);
        var settle = Settle(journal);

        settle.Delivered(batch, new PendingRange(0, 4, 0));
        settle.Expired(batch, new PendingRange(4, 6, 0), "Sending events 4–9 of batch 0 to /api/track expired (after 3 attempts); last failure: 503: busy.", "503: busy");

        Assert.Equal((4, 6, 0), (_counters.Delivered, _counters.Spooled, _counters.Expired));
        var spooled = Assert.Single(_diagnostics);
        Assert.Equal(new DiagnosticEvent(DiagnosticKind.Spooled,
            "Sending events 4–9 of batch 0 to /api/track expired (after 3 attempts); last failure: 503: busy. " +
            "With the spool they are not expired: they stay in it and are sent again once the endpoint delivers (or on the next start).", 6), spooled);
        // Not acknowledged as if delivered: its record gives way to one of the six events left (below).
        Assert.Equal((1L, 6L), (journal.Disk.Counters.LiveBatches, journal.Disk.Counters.LiveEvents));
        Assert.True(_tracker.WhenFinished(1).IsCompleted);
        var fates = _fates.BySequence();
        Assert.All(Sequences[..4], s => Assert.Equal((EventOutcome.Delivered, null), (fates[s].Outcome, fates[s].Message)));
        Assert.All(Sequences[4..], s => Assert.Equal((EventOutcome.Spooled, "503: busy"), (fates[s].Outcome, fates[s].Message)));
    }

    [Fact]
    public async Task A_batch_part_of_which_was_delivered_before_the_rest_ran_out_of_retries_is_spooled_again_as_the_rest_only_and_its_record_acknowledged()
    {
        // A 400 bisected it: events 0–3 and 7 delivered, event 6 rejected alone, 4–5 and 8–9 out of retries. What a restart
        // reads back is what is left, in the envelope it goes in, not the record of all ten.
        var journal = await JournalAsync();
        var memory = Memory();
        var batch = Spooled(journal, memory);
        var settle = Settle(journal);
        settle.Delivered(batch, new PendingRange(0, 4, 0));
        settle.Expired(batch, new PendingRange(4, 2, 0), "expired", "503: busy");
        settle.Rejected(batch, new PendingRange(6, 1, 0), "rejected", "400: bad");
        settle.Delivered(batch, new PendingRange(7, 1, 0));
        Assert.True(journal.Holds(batch)); // not yet: two events are unsettled
        settle.Expired(batch, new PendingRange(8, 2, 0), "expired", "503: busy");

        Assert.False(journal.Holds(batch));
        Assert.Equal((2L, 1L, 1L, 4L), (journal.Disk.Counters.Appended, journal.Disk.Counters.Acknowledged, journal.Disk.Counters.LiveBatches, journal.Disk.Counters.LiveEvents));
        Assert.True(journal.Kept.Any);
        batch.Release();
        Assert.Equal(0, memory.SmallPoolInUseSize); // the record's body, written from pooled memory, went back

        _disk!.Dispose();
        using var reopened = _disk = await DiskSpool.OpenAsync(new SpoolOptions { DirectoryPath = _directory.Path }, "test-format", new ManualTimeProvider(), null);
        var replayed = Assert.Single(await SpoolHarness.ReplayAllAsync(reopened));
        Assert.Equal("""[{"i":4},{"i":5},{"i":8},{"i":9}]""", Encoding.UTF8.GetString(replayed.Batch.Body));
        Assert.Equal([8, 16, 24, 32], replayed.Batch.Ends);
    }

    [Fact]
    public async Task A_batch_whose_rest_cannot_be_written_again_keeps_its_record_and_is_sent_again_as_the_parts_left()
    {
        // The disk is full when the rest runs out of retries: the record of all ten stays, and this engine sends the parts left.
        var io = new FailingFileIO();
        var journal = await JournalAsync(io: io);
        var batch = Spooled(journal);
        var settle = Settle(journal);
        settle.Delivered(batch, new PendingRange(0, 4, 0));
        io.DiskFull = true;
        settle.Expired(batch, new PendingRange(4, 6, 0), "expired", "503: busy");

        Assert.True(journal.Holds(batch));
        Assert.Equal((1L, 10L), (journal.Disk.Counters.LiveBatches, journal.Disk.Counters.LiveEvents));
        journal.Kept.Delivered(batch.Partition); // the endpoint is back
        Assert.True(journal.Kept.TryTake(out var ticket, out _, out var parts));
        Assert.Equal(batch.SpoolTicket, ticket);
        Assert.Equal([(4, 6)], parts);
    }

    [Fact]
    public async Task The_parts_left_are_not_written_again_by_evicting_older_batches_from_a_full_spool()
    {
        // An older batch fills the first segment, this one the second; a record of its six events left would take the spool past
        // its cap. Evicting the older batch would lose it: this batch's record, which holds those six, stays instead.
        var journal = await JournalAsync(o => (o.SegmentBytes, o.MaxBytes) = (4 * 1024, 8 * 1024));
        string pad = $",\"p\":\"{new string('x', 300)}\"";
        var older = Spooled(journal, pad: pad);
        var batch = Spooled(journal, pad: pad);
        Assert.Equal(2, journal.Disk.Counters.Segments);
        var settle = Settle(journal);
        settle.Delivered(batch, new PendingRange(0, 4, 0));
        settle.Expired(batch, new PendingRange(4, 6, 0), "expired", "503: busy");

        Assert.True(journal.Holds(older));
        Assert.True(journal.Holds(batch));
        Assert.Equal((0L, 2L, 20L), (journal.Disk.Counters.EvictedBatches, journal.Disk.Counters.LiveBatches, journal.Disk.Counters.LiveEvents));
    }

    [Fact]
    public async Task The_parts_left_are_not_written_again_if_their_record_cannot_be_synced_before_the_batchs_own_is_acknowledged()
    {
        // The sync fails: the new record may not be on the device, so it is acknowledged, and the batch's record stays the one to send.
        var io = new FailingFileIO { SkipDeviceSync = true };
        var journal = await JournalAsync(io: io);
        var batch = Spooled(journal);
        journal.BeforeSend(batch); // synced before its first send
        var settle = Settle(journal);
        settle.Delivered(batch, new PendingRange(0, 4, 0));
        io.FlushFails = true;
        settle.Expired(batch, new PendingRange(4, 6, 0), "expired", "503: busy");

        Assert.True(journal.Holds(batch));
        var c = journal.Disk.Counters; // the new record was given up by the failed sync, so it is not counted acknowledged too
        Assert.Equal((2L, 0L, 1L, 1L, 10L), (c.Appended, c.Acknowledged, c.EvictedBatches, c.LiveBatches, c.LiveEvents));
    }

    [Fact]
    public async Task A_batch_finished_at_the_deadline_after_a_part_ran_out_of_retries_keeps_its_record_whole()
    {
        // Events 0–4 ran out of retries, 5–6 were delivered, 7–9 were left at the deadline: the parts listed are 0–4 only, so the
        // record of all ten stays, for the next start (which sends 5–6 again: at-least-once, none lost).
        var journal = await JournalAsync();
        var batch = Spooled(journal);
        var settle = Settle(journal);
        var job = new DeliveryJob(batch);
        job.Split();
        job.TryPeek(out var top);
        settle.Expired(batch, top, "expired", "503: busy");
        job.Pop();
        job.Split();
        job.TryPeek(out top);
        settle.Delivered(batch, top);
        job.Pop();

        settle.AtDeadline(job);

        Assert.Equal((5, 2, 8), (top.Start, top.Count, _counters.Spooled));
        Assert.True(journal.Holds(batch));
        Assert.Equal((1L, 10L), (journal.Disk.Counters.LiveBatches, journal.Disk.Counters.LiveEvents));
    }

    [Fact]
    public async Task Events_out_of_retries_of_a_batch_the_spool_could_not_take_expire()
    {
        var journal = await JournalAsync(o => (o.SegmentBytes, o.MaxBytes) = (4 * 1024, 8 * 1024));
        var batch = Seal(Memory(), [.. Enumerable.Range(0, 10).Select(i => $"{{\"pad\":\"{new string('x', 1_000)}\"}}")], sequence: 0, eventSequences: Sequences);
        Assert.False(journal.Append(batch)); // larger than the spool's cap: it goes from memory only
        Assert.Null(batch.SpoolTicket);

        Settle(journal).Expired(batch, new PendingRange(0, 10, 0), "expired", "503: busy");

        Assert.Equal((10, 0), (_counters.Expired, _counters.Spooled));
        Assert.Equal(new DiagnosticEvent(DiagnosticKind.BatchFailed, "expired", 10), Assert.Single(_diagnostics));
        Assert.All(_fates.Fates, f => Assert.Equal(EventOutcome.Expired, f.Outcome));
    }

    [Fact]
    public async Task What_is_left_at_the_deadline_stays_in_the_spool_and_the_message_names_the_last_failure()
    {
        var journal = await JournalAsync();
        var batch = Spooled(journal);
        var settle = Settle(journal);
        var job = new DeliveryJob(batch);
        job.Split();
        job.TryPeek(out var left);
        settle.Delivered(batch, left);
        job.Pop();
        batch.LastFailure = "503: busy";

        settle.AtDeadline(job);
        settle.AtDeadline(job); // a second writer-off finds nothing left

        Assert.Equal((5, 5, 0, 0), (_counters.Delivered, _counters.Spooled, _counters.LostAtShutdown, _counters.OutcomeUnknown));
        Assert.Equal(new DiagnosticEvent(DiagnosticKind.Spooled,
            "5 event(s) of batch 0 to /api/track were not delivered before the shutdown deadline (last failure: 503: busy): " +
            "they stay in the spool and are sent on the next start (or by 'sluice spool drain').", 5), Assert.Single(_diagnostics));
        Assert.True(journal.Holds(batch));
        Assert.True(_tracker.WhenFinished(1).IsCompleted);
        var report = Assert.Single(_fates.Reports);
        Assert.Equal("503: busy", report.LastFailure);
        var fates = _fates.BySequence();
        Assert.All(Sequences[..5], s => Assert.Equal(EventOutcome.Delivered, fates[s].Outcome));
        Assert.All(Sequences[5..], s => Assert.Equal((EventOutcome.Spooled, null), (fates[s].Outcome, fates[s].Message)));
    }

    [Fact]
    public async Task What_stays_in_the_spool_at_the_deadline_after_a_gateway_timeout_is_said_to_be_possibly_at_the_server_already()
    {
        var journal = await JournalAsync();
        var batch = Spooled(journal);
        var job = new DeliveryJob(batch);
        job.Split();                // [0,5) on top, [5,10) below: never sent
        job.TryPeek(out var top);
        job.Update(top with { Attempts = 1, MayHaveArrived = true }); // a 504, waiting to retry
        batch.LastFailure = "504: Gateway Time-out";

        Settle(journal).AtDeadline(job);

        Assert.Equal((10, 0, 0), (_counters.Spooled, _counters.LostAtShutdown, _counters.OutcomeUnknown));
        Assert.Equal(new DiagnosticEvent(DiagnosticKind.Spooled,
            "10 event(s) of batch 0 to /api/track were not delivered before the shutdown deadline (last failure: 504: Gateway Time-out): " +
            "they stay in the spool and are sent on the next start (or by 'sluice spool drain'). " +
            "5 of them may be at the server already (a request holding them got no answer or a gateway's 502 or 504): sending them again may duplicate them.", 10),
            Assert.Single(_diagnostics));
        Assert.True(journal.Holds(batch));
    }

    [Fact]
    public async Task A_batch_no_sender_took_by_the_deadline_stays_in_the_spool_whole()
    {
        var journal = await JournalAsync();
        var batch = Spooled(journal);

        Settle(journal).Unsent(batch);

        Assert.Equal((10L, 0L), (_counters.Spooled, _counters.LostAtShutdown));
        Assert.Equal(new DiagnosticEvent(DiagnosticKind.Spooled,
            "10 event(s) of batch 0 to /api/track were not delivered before the shutdown deadline: " +
            "they stay in the spool and are sent on the next start (or by 'sluice spool drain').", 10), Assert.Single(_diagnostics));
        Assert.True(journal.Holds(batch));
        Assert.True(_tracker.WhenFinished(1).IsCompleted);
        Assert.Null(Assert.Single(_fates.Reports).LastFailure);
        Assert.All(_fates.Fates, f => Assert.Equal(EventOutcome.Spooled, f.Outcome));
    }

    [Fact]
    public async Task A_batch_left_at_the_deadline_whose_sync_fails_is_counted_lost_not_spooled()
    {
        // No sender took it, so no sync covered it yet: it is counted spooled only once it is on the device.
        var io = new FailingFileIO();
        var journal = await JournalAsync(io: io);
        var batch = Spooled(journal);
        io.FlushFails = true;

        Settle(journal).Unsent(batch);

        Assert.Equal((0L, 10L), (_counters.Spooled, _counters.LostAtShutdown));
        Assert.Equal(0L, journal.Disk.Counters.LiveBatches);
    }

    [Fact]
    public async Task A_batch_left_at_the_deadline_is_synced_before_it_is_counted_spooled()
    {
        var io = new FailingFileIO();
        var journal = await JournalAsync(io: io);
        var batch = Spooled(journal);
        int before = io.Flushes;

        Settle(journal).Unsent(batch);

        Assert.Equal((10L, 0L), (_counters.Spooled, _counters.LostAtShutdown));
        Assert.Equal(before + 1, io.Flushes);
    }

    [Fact]
    public async Task A_batch_whose_events_all_reached_a_final_state_is_acknowledged_in_the_spool()
    {
        var journal = await JournalAsync();
        var batch = Spooled(journal);
        var settle = Settle(journal);

        settle.Delivered(batch, new PendingRange(0, 9, 0));
        Assert.True(journal.Holds(batch));
        settle.Rejected(batch, new PendingRange(9, 1, 0), "rejected", "400: invalid");

        Assert.False(journal.Holds(batch));
        Assert.Equal(1, journal.Disk.Counters.Acknowledged);
        Assert.Equal(0, _counters.Spooled);
    }

    [Theory]
    [InlineData(SpoolSync.PerBatch, 1)]
    [InlineData(SpoolSync.None, 0)]
    public async Task A_batch_is_synced_before_its_first_send_once_and_only_under_the_per_batch_policy(SpoolSync sync, int flushes)
    {
        var io = new FailingFileIO();
        var journal = await JournalAsync(sync: sync, io: io);
        var batch = Spooled(journal);
        int before = io.Flushes;

        journal.BeforeSend(batch);
        Assert.True(batch.SpoolDurable);
        journal.BeforeSend(batch); // a send after a pause: already durable
        Assert.Equal(flushes, io.Flushes - before);

        var notSpooled = Seal(Memory(), ["{}"], sequence: 1);
        journal.BeforeSend(notSpooled);
        Assert.False(notSpooled.SpoolDurable);
        Assert.Equal(flushes, io.Flushes - before);
    }

    private async Task<SpoolJournal> JournalAsync(Action<SpoolOptions>? configure = null, SpoolSync sync = SpoolSync.PerBatch, ISpoolFileIO? io = null)
    {
        var options = new SpoolOptions { DirectoryPath = _directory.Path, Sync = sync };
        configure?.Invoke(options);
        var time = new ManualTimeProvider();
        var disk = _disk = await DiskSpool.OpenAsync(options, "test-format", time, null, io ?? SpoolFileIO.Instance);
        return new SpoolJournal(disk, sync, new KeptBatches(ThriveStackFormat.Instance.PartitionCount, time, TimeSpan.FromSeconds(30), () => { }, ticket => disk.Contains(ticket), _ => { }));
    }

    private static Batch Spooled(SpoolJournal journal, RecyclableMemoryStreamManager? memory = null, string pad = "")
    {
        var batch = Seal(memory ?? Memory(), [.. Enumerable.Range(0, 10).Select(i => $"{{\"i\":{i}{pad}}}")], sequence: 0, eventSequences: Sequences);
        Assert.True(journal.Append(batch));
        Assert.True(journal.StillHolds(batch));
        return batch;
    }

    private Settlement Settle(SpoolJournal journal) => new(_counters, _tracker, _failures, ThriveStackFormat.Instance, _diagnostics.Add,
        new FateReporter(_fates.Callback, _diagnostics.Add), journal);
}
