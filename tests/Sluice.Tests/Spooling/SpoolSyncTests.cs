using System.Buffers;
using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

/// <summary>When the spool puts what it wrote on the device, per <see cref="SpoolSync"/> (fsyncs counted).</summary>
public sealed class SpoolSyncTests : IDisposable
{
    private readonly SpoolHarness _harness = new();
    private readonly FailingFileIO _io = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Per_batch_syncs_every_batch_appended_since_the_last_sync_with_one_fsync_and_leaves_acknowledgements_to_the_full_sync()
    {
        using var spool = await _harness.OpenAsync(io: _io);
        int opened = _io.Flushes; // the new segment's header
        Assert.Equal(1, opened);

        var tickets = Enumerable.Range(0, 3).Select(i => SpoolHarness.Append(spool, SpoolBatch.Json(0, $"{i}"))).ToArray();
        Assert.Equal(opened, _io.Flushes); // appending does not sync
        Assert.True(spool.SyncAppends());
        Assert.Equal(opened + 1, _io.Flushes); // one for the three
        Assert.True(spool.SyncAppends());
        Assert.Equal(opened + 1, _io.Flushes); // nothing new

        spool.Acknowledge(tickets[0]);
        Assert.True(spool.SyncAppends());
        Assert.Equal(opened + 1, _io.Flushes);
        Assert.True(spool.Sync());
        Assert.Equal(opened + 2, _io.Flushes); // the acknowledgement file
    }

    [Fact]
    public async Task A_sender_whose_batch_an_earlier_sync_covered_does_not_sync_again_even_if_batches_were_appended_since()
    {
        using var spool = await _harness.OpenAsync(io: _io);
        int opened = _io.Flushes;
        var first = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        var second = SpoolHarness.Append(spool, SpoolBatch.Json(0, "2"));

        Assert.True(spool.SyncAppendsThrough(first.BatchId));
        Assert.Equal(opened + 1, _io.Flushes); // covers both

        var third = SpoolHarness.Append(spool, SpoolBatch.Json(0, "3"));
        Assert.True(spool.SyncAppendsThrough(second.BatchId));
        Assert.Equal(opened + 1, _io.Flushes); // the second was covered: the third's append does not force a sync

        Assert.True(spool.SyncAppendsThrough(third.BatchId));
        Assert.Equal(opened + 2, _io.Flushes);
    }

    [Fact]
    public async Task A_failed_sync_gives_up_the_batches_it_was_to_cover_as_a_second_sync_would_not_tell_whether_they_reached_the_device()
    {
        using var spool = await _harness.OpenAsync(io: _io);
        var synced = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        Assert.True(spool.SyncAppendsThrough(synced.BatchId));
        var ticket = SpoolHarness.Append(spool, SpoolBatch.Json(0, "2", "3"));
        _io.FlushFails = true;
        Assert.False(spool.SyncAppendsThrough(ticket.BatchId));
        _io.FlushFails = false;

        // On Linux the fsync after a failed one succeeds, though the pages it failed to write are gone: not a proof of anything.
        int before = _io.Flushes;
        Assert.True(spool.SyncAppendsThrough(ticket.BatchId));
        Assert.Equal(before, _io.Flushes);
        Assert.False(spool.Contains(ticket));
        Assert.True(spool.Contains(synced));
        var c = spool.Counters;
        Assert.Equal((1L, 1L, 1L, 2L), (c.LiveBatches, c.LiveEvents, c.EvictedBatches, c.EvictedEvents));
        var lost = Assert.Single(_harness.DiagnosticsOf(SpoolDiagnosticKind.Evicted));
        Assert.Contains("could not sync", lost.Message, StringComparison.Ordinal);
        Assert.Equal((1L, 2L), (lost.Batches, lost.Events));
        Assert.Single(_harness.DiagnosticsOf(SpoolDiagnosticKind.WritesSuspended));
    }

    [Fact]
    public async Task A_batch_given_up_after_a_failed_sync_stays_on_disk_for_a_crash_and_is_acknowledged_once_settled_from_memory()
    {
        var spool = await _harness.OpenAsync(io: _io);
        var kept = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        var settled = SpoolHarness.Append(spool, SpoolBatch.Json(0, "2"));
        _io.FlushFails = true;
        Assert.False(spool.SyncAppends());
        _io.FlushFails = false;
        spool.Acknowledge(settled); // delivered from memory
        spool.Dispose();

        // Still on disk, the only copy of a batch the process lost with its memory; one settled from memory does not come back.
        using var reopened = await _harness.OpenAsync(io: _io);
        var replayed = Assert.Single(await SpoolHarness.ReplayAllAsync(reopened));
        Assert.Equal(kept.BatchId, replayed.Ticket.BatchId);
    }

    [Fact]
    public async Task A_batch_given_up_after_a_failed_sync_can_still_be_read_back_by_an_engine_that_holds_it_on_disk_only()
    {
        using var spool = await _harness.OpenAsync(o => o.Sync = SpoolSync.Interval, _io);
        var batch = SpoolBatch.Json(0, "1", "2");
        var ticket = SpoolHarness.Append(spool, batch);
        _io.FlushFails = true;
        Assert.False(spool.Sync());

        var body = new ArrayBufferWriter<byte>();
        Assert.True(await spool.TryReadBodyAsync(ticket, body));
        Assert.Equal(batch.Body, body.WrittenSpan.ToArray());
        Assert.False(spool.Contains(ticket));
    }

    [Fact]
    public async Task A_segment_whose_sync_fails_as_it_is_closed_gives_up_the_batches_written_since_its_last_sync()
    {
        var batch = SpoolBatch.Random(new Random(12), 0, events: 2, bodyLength: 3_000);
        using var spool = await _harness.OpenAsync(o => o.SegmentBytes = 4096, _io);
        var a = SpoolHarness.Append(spool, batch);
        _io.FlushFails = true;

        Assert.Equal(SpoolAppendStatus.WriteFailed, spool.TryAppend(batch.Partition, batch.Sequence(), batch.Ends, out _));

        Assert.False(spool.Contains(a));
        Assert.Equal((0L, 1L, 2L), (spool.Counters.LiveBatches, spool.Counters.EvictedBatches, spool.Counters.EvictedEvents));
        Assert.Single(_harness.DiagnosticsOf(SpoolDiagnosticKind.Evicted));
    }

    [Fact]
    public async Task Per_batch_syncs_acknowledgements_on_the_interval_and_everything_at_dispose()
    {
        var spool = await _harness.OpenAsync(o => o.SyncInterval = TimeSpan.FromSeconds(2), _io);
        var ticket = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        spool.Acknowledge(ticket);
        SpoolHarness.Append(spool, SpoolBatch.Json(0, "2"));
        int before = _io.Flushes;

        _harness.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(before + 2, _io.Flushes); // the segment and its acknowledgements

        SpoolHarness.Append(spool, SpoolBatch.Json(0, "3"));
        spool.Dispose();
        Assert.Equal(before + 3, _io.Flushes);
    }

    [Fact]
    public async Task Interval_syncs_on_its_timer_only_when_something_was_written()
    {
        using var spool = await _harness.OpenAsync(o => { o.Sync = SpoolSync.Interval; o.SyncInterval = TimeSpan.FromMilliseconds(100); }, _io);
        int before = _io.Flushes;
        SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        SpoolHarness.Append(spool, SpoolBatch.Json(0, "2"));
        Assert.Equal(before, _io.Flushes);

        _harness.Time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(before + 1, _io.Flushes);
        _harness.Time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(before + 1, _io.Flushes);
    }

    [Fact]
    public async Task None_never_syncs()
    {
        var spool = await _harness.OpenAsync(o => o.Sync = SpoolSync.None, _io);
        var ticket = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        spool.Acknowledge(ticket);
        Assert.True(spool.SyncAppends());
        Assert.True(spool.Sync());
        _harness.Time.Advance(TimeSpan.FromMinutes(1));
        spool.Dispose();
        Assert.Equal(0, _io.Flushes);
        Assert.Equal(0, _harness.Time.ArmedTimers);
    }

    [Fact]
    public async Task A_segment_is_synced_before_it_is_closed_for_the_next_so_a_sync_after_a_rotation_covers_both()
    {
        var batch = SpoolBatch.Random(new Random(10), 0, events: 2, bodyLength: 3_000);
        using var spool = await _harness.OpenAsync(o => o.SegmentBytes = 4096, _io);
        int before = _io.Flushes;
        var a = SpoolHarness.Append(spool, batch);
        var b = SpoolHarness.Append(spool, batch); // starts a new segment: the first is synced as it closes
        Assert.NotEqual(a.SegmentId, b.SegmentId);
        Assert.Equal(before + 1, _io.Flushes);
        Assert.True(spool.SyncAppends());
        Assert.Equal(before + 2, _io.Flushes);
    }
}

/// <summary>An fsync runs outside the spool's lock: the interleavings that allows, pinned by holding the sync on the device.</summary>
public sealed class SpoolSyncInterleavingTests : IDisposable
{
    private readonly SpoolHarness _harness = new();
    private readonly FailingFileIO _io = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task While_a_sync_waits_for_the_device_acknowledgements_and_appends_go_on_and_a_new_segment_may_close_the_file_being_synced()
    {
        var batch = SpoolBatch.Random(new Random(11), 0, events: 2, bodyLength: 3_000);
        using var spool = await _harness.OpenAsync(o => o.SegmentBytes = 4096, _io);
        var first = SpoolHarness.Append(spool, batch);

        using var hold = new ManualResetEventSlim();
        _io.HoldSync = hold;
        var sync = Task.Run(spool.SyncAppends);
        Assert.True(_io.SyncEntered.Wait(TimeSpan.FromSeconds(30)));
        _io.HoldSync = null;

        // The sync holds the segment's handle; meanwhile the segment is acknowledged empty, a new one
        // is started (closing the one being synced, which is then deleted), and written to.
        spool.Acknowledge(first);
        var second = SpoolHarness.Append(spool, batch);
        Assert.NotEqual(first.SegmentId, second.SegmentId);
        Assert.False(File.Exists(SpoolDirectory.SegmentPath(_harness.Directory, first.SegmentId)));
        Assert.False(sync.IsCompleted);

        hold.Set();
        Assert.True(await sync);
        Assert.Empty(_harness.Diagnostics);
        Assert.True(spool.SyncAppends()); // the new segment: its own sync
    }
}
