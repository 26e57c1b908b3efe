using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

/// <summary>
/// Disk full and I/O errors: never an exception into the caller. The append says what happened, the
/// spool reports it and stops writing for a while (the engine sends from memory meanwhile), then tries again.
/// </summary>
public sealed class SpoolFailureTests : IDisposable
{
    private readonly SpoolHarness _harness = new();
    private readonly FailingFileIO _io = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task A_full_disk_suspends_writing_with_a_clear_diagnostic_and_writing_resumes_after_the_retry_interval()
    {
        var before = SpoolBatch.Json(0, "1");
        var during = SpoolBatch.Json(0, "2");
        var after = SpoolBatch.Json(0, "3");
        using (var spool = await _harness.OpenAsync(io: _io))
        {
            var kept = SpoolHarness.Append(spool, before);
            long length = new FileInfo(SpoolDirectory.SegmentPath(_harness.Directory, kept.SegmentId)).Length;

            _io.DiskFull = true;
            _io.PartialBytes = 30; // part of the record reaches the file before the error
            Assert.Equal(SpoolAppendStatus.DiskFull, spool.TryAppend(0, during.Sequence(), during.Ends, out _));
            Assert.Equal(length, new FileInfo(SpoolDirectory.SegmentPath(_harness.Directory, kept.SegmentId)).Length); // the part was taken back

            var suspended = Assert.Single(_harness.Diagnostics);
            Assert.Equal(SpoolDiagnosticKind.WritesSuspended, suspended.Kind);
            Assert.Contains("the disk is full", suspended.Message, StringComparison.Ordinal);
            Assert.Contains("sent from memory only", suspended.Message, StringComparison.Ordinal);
            Assert.Contains(_harness.Directory, suspended.Message, StringComparison.Ordinal);
            Assert.True(spool.Counters.Suspended);

            // Until the retry is due, nothing is attempted, even though the disk has room again.
            _io.DiskFull = false;
            _harness.Time.Advance(DiskSpool.RetryWritesAfter - TimeSpan.FromSeconds(1));
            Assert.Equal(SpoolAppendStatus.Suspended, spool.TryAppend(0, during.Sequence(), during.Ends, out _));

            _harness.Time.Advance(TimeSpan.FromSeconds(1));
            SpoolHarness.Append(spool, after);
            Assert.Equal(SpoolDiagnosticKind.WritesResumed, _harness.Diagnostics[^1].Kind);
            Assert.Equal((2L, 1L, false), (spool.Counters.Appended, spool.Counters.WriteFailures, spool.Counters.Suspended));
        }

        using var reopened = await _harness.OpenAsync();
        var replayed = await SpoolHarness.ReplayAllAsync(reopened);
        Assert.True(replayed.Count == 2 && replayed[0].SameAs(before) && replayed[1].SameAs(after));
        Assert.Equal(0, reopened.Recovery.TornTails + reopened.Recovery.CorruptRecords);
    }

    [Fact]
    public async Task A_disk_that_stays_full_is_reported_once_until_writing_resumes_and_its_end_once()
    {
        var batch = SpoolBatch.Json(0, "1");
        using var spool = await _harness.OpenAsync(io: _io);
        SpoolHarness.Append(spool, batch);
        _io.FlushFails = true; // the device fails a sync, then the disk stays full
        Assert.False(spool.SyncAppends());
        Assert.Single(_harness.DiagnosticsOf(SpoolDiagnosticKind.Evicted)); // the batch the sync was to cover: given up
        _io.FlushFails = false;
        _io.DiskFull = true;
        for (int retry = 0; retry < 4; retry++) // two minutes of a full disk, a write tried every 30 s
        {
            _harness.Time.Advance(DiskSpool.RetryWritesAfter);
            Assert.Equal(SpoolAppendStatus.DiskFull, spool.TryAppend(0, batch.Sequence(), batch.Ends, out _));
        }

        _harness.Time.Advance(DiskSpool.RetryWritesAfter);

        var suspended = Assert.Single(States());
        Assert.Equal(SpoolDiagnosticKind.WritesSuspended, suspended.Kind);
        Assert.Contains("reported once", suspended.Message, StringComparison.Ordinal);
        Assert.Equal((5L, true), (spool.Counters.WriteFailures, spool.Counters.Suspended)); // each failure counted; the state readable

        _io.DiskFull = false;
        SpoolHarness.Append(spool, batch);
        SpoolHarness.Append(spool, SpoolBatch.Json(0, "2"));
        Assert.Equal([SpoolDiagnosticKind.WritesSuspended, SpoolDiagnosticKind.WritesResumed], States().Select(d => d.Kind));
        Assert.False(spool.Counters.Suspended);

        // A new failure after the resume is a new suspension, reported again.
        _io.DiskFull = true;
        Assert.Equal(SpoolAppendStatus.DiskFull, spool.TryAppend(0, batch.Sequence(), batch.Ends, out _));
        Assert.Equal(SpoolDiagnosticKind.WritesSuspended, States()[^1].Kind);
        Assert.Equal(3, States().Count);

        List<SpoolDiagnostic> States() => [.. _harness.Diagnostics.Where(d => d.Kind != SpoolDiagnosticKind.Evicted)];
    }

    [Fact]
    public async Task A_failed_write_that_cannot_be_taken_back_leaves_a_tail_that_the_next_open_truncates_and_the_next_record_goes_to_a_new_segment()
    {
        var first = SpoolBatch.Json(0, "1");
        var second = SpoolBatch.Json(0, "2");
        SpoolTicket a, b;
        using (var spool = await _harness.OpenAsync(io: _io))
        {
            a = SpoolHarness.Append(spool, first);
            _io.DiskFull = true;
            _io.PartialBytes = 30;
            _io.SetLengthFails = true;
            Assert.Equal(SpoolAppendStatus.DiskFull, spool.TryAppend(0, second.Sequence(), second.Ends, out _));
            _io.DiskFull = false;
            _io.SetLengthFails = false;
            _harness.Time.Advance(DiskSpool.RetryWritesAfter);
            b = SpoolHarness.Append(spool, second);
        }

        Assert.NotEqual(a.SegmentId, b.SegmentId);
        using var reopened = await _harness.OpenAsync();
        var replayed = await SpoolHarness.ReplayAllAsync(reopened);
        Assert.True(replayed.Count == 2 && replayed[0].SameAs(first) && replayed[1].SameAs(second));
        Assert.Equal((1, 30L), (reopened.Recovery.TornTails, reopened.Recovery.TornBytes));
    }

    [Fact]
    public async Task A_full_disk_when_a_new_segment_is_needed_is_a_disk_full_append_too()
    {
        var batch = SpoolBatch.Random(new Random(9), 0, events: 2, bodyLength: 3_000);
        using var spool = await _harness.OpenAsync(o => o.SegmentBytes = 4096, _io);
        SpoolHarness.Append(spool, batch);
        _io.DiskFull = true;
        Assert.Equal(SpoolAppendStatus.DiskFull, spool.TryAppend(0, batch.Sequence(), batch.Ends, out _));
        Assert.Single(_harness.Files(".segment"));
    }

    [Fact]
    public async Task A_spool_opened_on_a_full_disk_still_reads_back_what_it_holds_and_appends_once_there_is_room()
    {
        using (var spool = await _harness.OpenAsync())
            SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));

        _io.DiskFull = true;
        using var reopened = await _harness.OpenAsync(io: _io);
        Assert.Equal(SpoolDiagnosticKind.WritesSuspended, Assert.Single(_harness.Diagnostics).Kind);
        Assert.Single(await SpoolHarness.ReplayAllAsync(reopened));

        var batch = SpoolBatch.Json(0, "2");
        Assert.Equal(SpoolAppendStatus.Suspended, reopened.TryAppend(0, batch.Sequence(), batch.Ends, out _));
        _io.DiskFull = false;
        _harness.Time.Advance(DiskSpool.RetryWritesAfter);
        SpoolHarness.Append(reopened, batch);
    }

    [Fact]
    public async Task A_spool_opened_on_a_full_disk_keeps_its_empty_segments_so_that_ids_still_increase()
    {
        SpoolTicket last;
        using (var spool = await _harness.OpenAsync())
        {
            last = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
            spool.Acknowledge(last);
        }

        _io.DiskFull = true;
        using (var full = await _harness.OpenAsync(io: _io))
            Assert.Single(_harness.Files(".segment")); // nothing new was made, so the old one stays

        _io.DiskFull = false;
        using var reopened = await _harness.OpenAsync(io: _io);
        Assert.True(SpoolHarness.Append(reopened, SpoolBatch.Json(0, "2")).BatchId > last.BatchId);
    }

    [Fact]
    public async Task A_failed_sync_is_returned_reported_and_suspends_writing()
    {
        using var spool = await _harness.OpenAsync(io: _io);
        SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        _io.FlushFails = true;

        Assert.False(spool.SyncAppends());
        var suspended = Assert.Single(_harness.DiagnosticsOf(SpoolDiagnosticKind.WritesSuspended));
        Assert.Contains("syncing to the device", suspended.Message, StringComparison.Ordinal);
        var batch = SpoolBatch.Json(0, "2");
        Assert.Equal(SpoolAppendStatus.Suspended, spool.TryAppend(0, batch.Sequence(), batch.Ends, out _));
    }

    [Fact]
    public async Task An_acknowledgement_that_cannot_be_written_is_counted_reported_once_and_its_batch_comes_back_after_a_restart()
    {
        var batches = Enumerable.Range(0, 3).Select(i => SpoolBatch.Json(0, $"{i}")).ToArray();
        using (var spool = await _harness.OpenAsync(io: _io))
        {
            var tickets = batches.Select(b => SpoolHarness.Append(spool, b)).ToArray();
            _io.DiskFull = true;
            spool.Acknowledge(tickets[0]);
            spool.Acknowledge(tickets[1]);
            Assert.Equal(2, spool.Counters.AcknowledgementFailures);
            Assert.Equal(SpoolDiagnosticKind.AcknowledgementFailed, Assert.Single(_harness.Diagnostics).Kind);
            Assert.Equal(1, spool.Counters.LiveBatches); // in this process they are done
            _io.DiskFull = false;
        }

        using var reopened = await _harness.OpenAsync();
        Assert.Equal(3, (await SpoolHarness.ReplayAllAsync(reopened)).Count); // at least once
    }

    [Fact]
    public async Task A_segment_that_cannot_be_deleted_once_its_batches_are_all_acknowledged_keeps_its_acknowledgements_and_none_of_them_comes_back()
    {
        // Two batches fill the first segment (4 KiB), the third starts the second. Every batch of the first is delivered,
        // but its file cannot be deleted (held open by another program): the next open reads it again.
        string body = new('x', 1_500);
        SpoolTicket[] tickets;
        using (var spool = await _harness.OpenAsync(o => (o.SegmentBytes, o.MaxBytes) = (4 * 1024, 16 * 1024), _io))
        {
            tickets = Enumerable.Range(0, 3).Select(i => SpoolHarness.Append(spool, SpoolBatch.Json(0, $"{{\"n\":{i},\"pad\":\"{body}\"}}"))).ToArray();
            Assert.Equal(tickets[0].SegmentId, tickets[1].SegmentId);
            Assert.NotEqual(tickets[1].SegmentId, tickets[2].SegmentId);
            _io.DeleteFailsFor = ".segment";
            spool.Acknowledge(tickets[0]);
            spool.Acknowledge(tickets[1]);
            Assert.Contains(_harness.DiagnosticsOf(SpoolDiagnosticKind.FileFailed), d => d.Message.Contains("could not be deleted", StringComparison.Ordinal));
            _io.DeleteFailsFor = null;

            // Both acknowledgements are on the device before the segment leaves the list the next sync covers: a crash
            // from now on would otherwise take them, and the next open would send both batches again.
            Assert.Contains(SpoolDirectory.AcknowledgementsPath(_harness.Directory, tickets[0].SegmentId), _io.Synced);
        }

        // Only the batch never acknowledged is sent again, not the two delivered ones; the leftover segment goes now.
        using var reopened = await _harness.OpenAsync(o => (o.SegmentBytes, o.MaxBytes) = (4 * 1024, 16 * 1024));
        var replayed = await SpoolHarness.ReplayAllAsync(reopened);
        Assert.Equal([tickets[2].BatchId], replayed.Select(r => r.Ticket.BatchId));
        Assert.False(File.Exists(SpoolDirectory.SegmentPath(_harness.Directory, tickets[0].SegmentId)));
    }

    [Fact]
    public async Task Acknowledgements_of_a_segment_that_cannot_be_deleted_whose_sync_fails_are_reported_and_the_spool_carries_on()
    {
        string body = new('x', 1_500);
        using var spool = await _harness.OpenAsync(o => (o.SegmentBytes, o.MaxBytes) = (4 * 1024, 16 * 1024), _io);
        var tickets = Enumerable.Range(0, 3).Select(i => SpoolHarness.Append(spool, SpoolBatch.Json(0, $"{{\"n\":{i},\"pad\":\"{body}\"}}"))).ToArray();
        _io.DeleteFailsFor = ".segment";
        _io.FlushFails = true;
        spool.Acknowledge(tickets[0]);
        spool.Acknowledge(tickets[1]);
        _io.FlushFails = false;
        _io.DeleteFailsFor = null;

        var failed = Assert.Single(_harness.DiagnosticsOf(SpoolDiagnosticKind.AcknowledgementFailed));
        Assert.Contains("could not be synced", failed.Message, StringComparison.Ordinal);
        Assert.Equal(0, spool.Counters.AcknowledgementFailures); // both were written: only their sync failed
        Assert.Equal(1, spool.Counters.LiveBatches);
        spool.Acknowledge(tickets[2]);
        Assert.Equal(0, spool.Counters.LiveBatches);
    }

    [Fact]
    public async Task A_segment_deleted_under_the_spool_is_found_at_the_next_sync_its_batches_counted_lost_and_the_next_append_goes_to_a_new_segment()
    {
        // Writes to a deleted file still succeed: without a look at the directory, the spool would go on counting the batches
        // as held, and appending to a file no restart can read.
        using var spool = await _harness.OpenAsync();
        var first = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1", "2"));
        SpoolHarness.Append(spool, SpoolBatch.Json(0, "3"));
        File.Delete(SpoolDirectory.SegmentPath(_harness.Directory, first.SegmentId));

        spool.Sync();

        var lost = Assert.Single(_harness.DiagnosticsOf(SpoolDiagnosticKind.Evicted));
        Assert.Contains("was deleted by something other than this spool", lost.Message, StringComparison.Ordinal);
        Assert.Equal((2L, 3L), (lost.Batches, lost.Events));
        var c = spool.Counters;
        Assert.Equal((0L, 0L, 2L, 3L), (c.LiveBatches, c.LiveEvents, c.EvictedBatches, c.EvictedEvents));
        Assert.False(spool.Contains(first));

        var after = SpoolBatch.Json(0, "4");
        var ticket = SpoolHarness.Append(spool, after);
        Assert.NotEqual(first.SegmentId, ticket.SegmentId);
        Assert.True(File.Exists(SpoolDirectory.SegmentPath(_harness.Directory, ticket.SegmentId)));
        spool.Sync();
        Assert.Single(_harness.DiagnosticsOf(SpoolDiagnosticKind.Evicted)); // reported once
    }

    [Theory]
    [InlineData(SpoolSync.None)]
    [InlineData(SpoolSync.PerBatch)]
    public async Task A_segment_deleted_under_the_spool_is_found_within_a_sync_interval_whatever_the_policy(SpoolSync sync)
    {
        // SpoolSync.None syncs nothing, but the files are still looked for on the same tick: the loss is counted within a
        // SyncInterval, not only at a flush or at shutdown.
        using var spool = await _harness.OpenAsync(o => (o.Sync, o.SyncInterval) = (sync, TimeSpan.FromSeconds(2)));
        var ticket = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1", "2"));
        File.Delete(SpoolDirectory.SegmentPath(_harness.Directory, ticket.SegmentId));

        _harness.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(_harness.DiagnosticsOf(SpoolDiagnosticKind.Evicted));
        _harness.Time.Advance(TimeSpan.FromSeconds(1));

        var lost = Assert.Single(_harness.DiagnosticsOf(SpoolDiagnosticKind.Evicted));
        Assert.Equal((1L, 2L), (lost.Batches, lost.Events));
        Assert.False(spool.Contains(ticket));
    }

    [Fact]
    public async Task A_segment_truncated_under_the_spool_is_found_at_the_next_sync_and_its_batches_counted_lost()
    {
        // An operator emptying the file for room, or a log rotation's copytruncate: the next write lands past its end, and the
        // batches before it are gone, though the file is still there.
        using var spool = await _harness.OpenAsync();
        var first = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1", "2"));
        using (var file = File.OpenHandle(SpoolDirectory.SegmentPath(_harness.Directory, first.SegmentId), FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            RandomAccess.SetLength(file, first.Offset);

        spool.Sync();

        var lost = Assert.Single(_harness.DiagnosticsOf(SpoolDiagnosticKind.Evicted));
        Assert.Contains("was truncated by something other than this spool", lost.Message, StringComparison.Ordinal);
        Assert.Equal((1L, 2L), (lost.Batches, lost.Events));
        Assert.False(spool.Contains(first));
        Assert.NotEqual(first.SegmentId, SpoolHarness.Append(spool, SpoolBatch.Json(0, "3")).SegmentId);
    }

    [Fact]
    public async Task A_batch_whose_segment_was_deleted_cannot_be_read_back_and_is_counted_lost_not_reported_as_left_on_disk()
    {
        using var spool = await _harness.OpenAsync();
        var ticket = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        Directory.Delete(_harness.Directory, recursive: true);

        Assert.False(await spool.TryReadBodyAsync(ticket, new ArrayBufferWriter<byte>()));

        var lost = Assert.Single(_harness.Diagnostics);
        Assert.Equal((SpoolDiagnosticKind.Evicted, 1L), (lost.Kind, lost.Events));
        Assert.Equal((0L, 1L), (spool.Counters.LiveBatches, spool.Counters.EvictedEvents));
    }

    [Fact]
    public async Task A_diagnostic_callback_that_throws_does_not_break_the_spool()
    {
        var io = new FailingFileIO { DiskFull = true };
        using var spool = await DiskSpool.OpenAsync(_harness.Options(), SpoolHarness.Format, _harness.Time,
            _ => throw new InvalidOperationException("callback bug"), io);
        var batch = SpoolBatch.Json(0, "1");
        Assert.Equal(SpoolAppendStatus.Suspended, spool.TryAppend(0, batch.Sequence(), batch.Ends, out _));
    }

    [Fact]
    public void The_exception_dotnet_throws_for_a_full_disk_is_recognised()
    {
        Assert.True(IOErrors.IsDiskFull(FailingFileIO.DiskFullException()));
        Assert.False(IOErrors.IsDiskFull(new IOException("Input/output error", 5)));
        Assert.False(IOErrors.IsDiskFull(new UnauthorizedAccessException()));
        if (!OperatingSystem.IsLinux())
            return;

        // /dev/full fails every write with ENOSPC: the real exception, not one made by hand.
        using SafeFileHandle full = File.OpenHandle("/dev/full", FileMode.Open, FileAccess.Write);
        var error = Assert.Throws<IOException>(() => RandomAccess.Write(full, new ReadOnlyMemory<byte>[] { new byte[10], new byte[10] }, 0));
        Assert.True(IOErrors.IsDiskFull(error), $"HResult {error.HResult}: {error.Message}");
    }
}
