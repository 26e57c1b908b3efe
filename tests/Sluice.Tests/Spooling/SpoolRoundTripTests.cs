using System.Buffers;
using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

/// <summary>Append, acknowledge, reopen: what goes in comes back out as written, in order, until acknowledged.</summary>
public sealed class SpoolRoundTripTests : IDisposable
{
    private readonly SpoolHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Batches_appended_before_a_restart_are_read_back_in_order_with_partition_ends_and_body_as_written()
    {
        var batches = new[]
        {
            SpoolBatch.Json(0, """{"event":"a"}"""),
            SpoolBatch.Json(1, """{"event":"b"}""", """{"event":"ü€😀"}"""),
            SpoolBatch.Random(new Random(1), partition: 3, events: 40, bodyLength: 200_000), // several 64 KB segments
        };
        var tickets = new List<SpoolTicket>();
        using (var spool = await _harness.OpenAsync())
        {
            foreach (var batch in batches)
                tickets.Add(SpoolHarness.Append(spool, batch));
            Assert.Empty(await SpoolHarness.ReplayAllAsync(spool)); // the replay reads what was there before it opened
        }

        using var reopened = await _harness.OpenAsync();
        var replayed = await SpoolHarness.ReplayAllAsync(reopened);

        Assert.Equal(batches.Length, replayed.Count);
        for (int i = 0; i < batches.Length; i++)
        {
            Assert.True(replayed[i].SameAs(batches[i]), $"batch {i} differs");
            Assert.Equal(tickets[i], replayed[i].Ticket);
        }

        Assert.Equal(new SpoolRecovery(3, 43, tickets.Sum(t => (long)t.Length), 0, 0, 0, 0, 0, 0), reopened.Recovery);
        Assert.Empty(_harness.Diagnostics);
    }

    [Fact]
    public async Task A_body_in_many_small_segments_is_written_whole_and_its_checksum_covers_every_segment()
    {
        var batch = SpoolBatch.Random(new Random(2), partition: 0, events: 10, bodyLength: 1_000);
        using (var spool = await _harness.OpenAsync())
            Assert.Equal(SpoolAppendStatus.Appended, spool.TryAppend(0, batch.Sequence(chunk: 7), batch.Ends, out _));

        using var reopened = await _harness.OpenAsync();
        var replayed = Assert.Single(await SpoolHarness.ReplayAllAsync(reopened));
        Assert.True(replayed.SameAs(batch));
    }

    [Fact]
    public async Task Acknowledged_batches_are_not_read_back()
    {
        var batches = Enumerable.Range(0, 6).Select(i => SpoolBatch.Json(0, $$"""{"n":{{i}}}""")).ToArray();
        using (var spool = await _harness.OpenAsync())
        {
            var tickets = batches.Select(b => SpoolHarness.Append(spool, b)).ToArray();
            spool.Acknowledge(tickets[1]);
            spool.Acknowledge(tickets[4]);
            spool.Acknowledge(tickets[4]); // twice: ignored
            Assert.Equal(4, spool.Counters.LiveBatches);
            Assert.Equal(2, spool.Counters.Acknowledged);
        }

        using var reopened = await _harness.OpenAsync();
        var replayed = await SpoolHarness.ReplayAllAsync(reopened);
        Assert.Equal([0, 2, 3, 5], replayed.Select(r => Array.FindIndex(batches, r.SameAs)));
    }

    [Fact]
    public async Task Replayed_batches_acknowledged_after_the_restart_are_gone_after_the_next_one()
    {
        using (var spool = await _harness.OpenAsync())
        {
            SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
            SpoolHarness.Append(spool, SpoolBatch.Json(0, "2"));
        }

        using (var spool = await _harness.OpenAsync())
        {
            var replayed = await SpoolHarness.ReplayAllAsync(spool);
            Assert.Equal(2, replayed.Count);
            spool.Acknowledge(replayed[0].Ticket);
            Assert.True(spool.Contains(replayed[1].Ticket));
            Assert.False(spool.Contains(replayed[0].Ticket));
        }

        using var last = await _harness.OpenAsync();
        var left = Assert.Single(await SpoolHarness.ReplayAllAsync(last));
        Assert.Equal("[2]"u8.ToArray(), left.Batch.Body);
    }

    [Fact]
    public async Task Batch_ids_keep_increasing_across_restarts_even_when_everything_was_acknowledged()
    {
        long last = -1;
        for (int run = 0; run < 4; run++)
        {
            using var spool = await _harness.OpenAsync();
            for (int i = 0; i < 3; i++)
            {
                var ticket = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
                Assert.True(ticket.BatchId > last, $"id {ticket.BatchId} after {last}");
                last = ticket.BatchId;
                spool.Acknowledge(ticket);
            }
        }

        Assert.Single(_harness.Files(".segment")); // only the newest, empty segment is left
    }

    [Fact]
    public async Task Segments_rotate_at_the_segment_size_and_each_is_deleted_once_all_its_batches_are_acknowledged()
    {
        var batch = SpoolBatch.Random(new Random(3), 0, events: 4, bodyLength: 1_500); // ~1.6 KB a record: two per 4 KiB segment
        using var spool = await _harness.OpenAsync(o => o.SegmentBytes = 4096);
        var tickets = Enumerable.Range(0, 7).Select(_ => SpoolHarness.Append(spool, batch)).ToArray();

        var segments = tickets.Select(t => t.SegmentId).Distinct().ToArray();
        Assert.Equal(4, segments.Length);
        Assert.Equal(4, _harness.Files(".segment").Length);
        Assert.All(tickets.GroupBy(t => t.SegmentId), g => Assert.True(g.Count() <= 2));

        // The first segment goes when both its batches are acknowledged, not before.
        spool.Acknowledge(tickets[1]);
        Assert.Equal(4, _harness.Files(".segment").Length);
        spool.Acknowledge(tickets[0]);
        Assert.Equal(3, _harness.Files(".segment").Length);
        Assert.DoesNotContain(_harness.Files(".segment"), f => f.EndsWith($"{segments[0]:D19}.segment", StringComparison.Ordinal));

        // The active segment stays, even with nothing live in it.
        foreach (var ticket in tickets[2..])
            spool.Acknowledge(ticket);
        Assert.Single(_harness.Files(".segment"));
        Assert.Equal(0, spool.Counters.LiveBatches);
        Assert.Equal(new FileInfo(_harness.Files(".segment")[0]).Length + new FileInfo(_harness.Files(".acks")[0]).Length, spool.Counters.DiskBytes);
    }

    [Fact]
    public async Task A_batch_larger_than_a_segment_gets_a_segment_of_its_own()
    {
        var big = SpoolBatch.Random(new Random(4), 0, events: 3, bodyLength: 10_000);
        var small = SpoolBatch.Json(0, "1");
        using (var spool = await _harness.OpenAsync(o => o.SegmentBytes = 4096))
        {
            var a = SpoolHarness.Append(spool, small);
            var b = SpoolHarness.Append(spool, big);
            var c = SpoolHarness.Append(spool, small);
            Assert.Equal(3, new[] { a.SegmentId, b.SegmentId, c.SegmentId }.Distinct().Count());
        }

        using var reopened = await _harness.OpenAsync(o => o.SegmentBytes = 4096);
        var replayed = await SpoolHarness.ReplayAllAsync(reopened);
        Assert.True(replayed[0].SameAs(small) && replayed[1].SameAs(big) && replayed[2].SameAs(small));
    }

    [Fact]
    public async Task Records_carry_the_time_they_were_appended_by_the_injected_clock()
    {
        var start = _harness.Time.GetUtcNow();
        using (var spool = await _harness.OpenAsync())
        {
            SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
            _harness.Time.Advance(TimeSpan.FromMinutes(5));
            SpoolHarness.Append(spool, SpoolBatch.Json(0, "2"));
        }

        using var reopened = await _harness.OpenAsync();
        var replayed = await SpoolHarness.ReplayAllAsync(reopened);
        Assert.Equal([start, start.AddMinutes(5)], replayed.Select(r => r.AppendedAt));
    }

    [Fact]
    public async Task The_replay_skips_batches_acknowledged_or_evicted_while_it_reads()
    {
        using (var spool = await _harness.OpenAsync())
        {
            for (int i = 0; i < 4; i++)
                SpoolHarness.Append(spool, SpoolBatch.Json(0, $"{i}"));
        }

        using var reopened = await _harness.OpenAsync();
        await using var replay = reopened.OpenReplay();
        Assert.True(await replay.MoveNextAsync());
        var first = replay.Current.Ticket;
        reopened.Acknowledge(first with { BatchId = first.BatchId + 1 }); // the next one, acknowledged before it is read
        var rest = new List<long>();
        while (await replay.MoveNextAsync())
            rest.Add(replay.Current.Ticket.BatchId);
        Assert.Equal([first.BatchId + 2, first.BatchId + 3], rest);
    }

    [Fact]
    public async Task A_batch_appended_in_this_run_is_read_back_by_its_ticket_as_written_until_acknowledged()
    {
        using var spool = await _harness.OpenAsync(o => { o.SegmentBytes = 256 * 1024; o.MaxBytes = 4 * 1024 * 1024; });
        var batches = new[]
        {
            SpoolBatch.Json(0, """{"event":"a"}"""),
            SpoolBatch.Random(new Random(3), partition: 2, events: 40, bodyLength: 300_000), // several 64 KB pipe reads, a segment of its own
            SpoolBatch.Json(1, """{"event":"b"}""", """{"event":"ü€😀"}"""), // in a third segment
        };
        var tickets = batches.Select(b => SpoolHarness.Append(spool, b)).ToList();
        Assert.NotEqual(tickets[0].SegmentId, tickets[2].SegmentId);

        for (int i = batches.Length - 1; i >= 0; i--) // any order: each by its own offset
        {
            var body = new ArrayBufferWriter<byte>();
            Assert.True(await spool.TryReadBodyAsync(tickets[i], body));
            Assert.Equal(batches[i].Body, body.WrittenSpan.ToArray());
        }

        spool.Acknowledge(tickets[1]);
        Assert.False(await spool.TryReadBodyAsync(tickets[1], new ArrayBufferWriter<byte>()));
        Assert.False(await spool.TryReadBodyAsync(tickets[0] with { SegmentId = 999_999 }, new ArrayBufferWriter<byte>()));
        Assert.Empty(_harness.Diagnostics);
    }

    [Fact]
    public async Task A_batch_damaged_on_disk_after_it_was_appended_is_not_read_back_and_the_failure_is_reported()
    {
        using var spool = await _harness.OpenAsync();
        var ticket = SpoolHarness.Append(spool, SpoolBatch.Json(0, """{"event":"a"}""", """{"event":"b"}"""));
        string segment = System.IO.Directory.GetFiles(_harness.Directory, "*.segment").Single();
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.Position = ticket.Offset + ticket.Length - 3; // in the body: the payload's checksum no longer matches
            int b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 0x20));
        }

        Assert.False(await spool.TryReadBodyAsync(ticket, new ArrayBufferWriter<byte>()));
        var failure = Assert.Single(_harness.DiagnosticsOf(SpoolDiagnosticKind.FileFailed));
        Assert.Contains($"batch {ticket.BatchId}", failure.Message, StringComparison.Ordinal);
        Assert.True(spool.Contains(ticket), "the record stays for the next start, which skips it as damaged");
    }

    [Fact]
    public async Task An_append_told_not_to_evict_fills_the_spool_to_its_cap_then_refuses_and_evicts_nothing()
    {
        using var spool = await _harness.OpenAsync(o => { o.SegmentBytes = 4 * 1024; o.MaxBytes = 8 * 1024; });
        var batch = SpoolBatch.Random(new Random(4), partition: 0, events: 10, bodyLength: 1_000); // 1,084 bytes on disk
        int appended = 0;
        while (spool.TryAppend(0, batch.Sequence(), batch.Ends, out _, evict: false) == SpoolAppendStatus.Appended)
            appended++;

        Assert.InRange(appended, 5, 7); // 8 KiB, less the segments' headers
        Assert.Equal(SpoolAppendStatus.NoRoom, spool.TryAppend(0, batch.Sequence(), batch.Ends, out _, evict: false));
        var counters = spool.Counters;
        Assert.Equal((appended, 0L, 0L, false), ((int)counters.LiveBatches, counters.EvictedEvents, counters.WriteFailures, counters.Suspended));
        Assert.Empty(_harness.Diagnostics);

        SpoolHarness.Append(spool, batch); // an ordinary append makes room by deleting the oldest
        Assert.True(spool.Counters.EvictedEvents > 0);
    }

    [Fact]
    public async Task A_batch_the_engine_could_not_have_sealed_is_refused_naming_the_parameter()
    {
        using var spool = await _harness.OpenAsync();
        var body = new ReadOnlySequence<byte>("[1,2]"u8.ToArray());
        Assert.Equal("partition", Assert.Throws<ArgumentOutOfRangeException>(() => spool.TryAppend(-1, body, [2, 4], out _)).ParamName);
        Assert.Equal("partition", Assert.Throws<ArgumentOutOfRangeException>(() => spool.TryAppend(70_000, body, [2, 4], out _)).ParamName);
        Assert.Equal("eventEnds", Assert.Throws<ArgumentException>(() => spool.TryAppend(0, body, [], out _)).ParamName);
        Assert.Equal("eventEnds", Assert.Throws<ArgumentException>(() => spool.TryAppend(0, body, [4, 2], out _)).ParamName);
        Assert.Equal("eventEnds", Assert.Throws<ArgumentException>(() => spool.TryAppend(0, body, [2, 6], out _)).ParamName);
        Assert.Equal("body", Assert.Throws<ArgumentException>(() => spool.TryAppend(0, ReadOnlySequence<byte>.Empty, [1], out _)).ParamName);
        Assert.Equal(0, spool.Counters.Appended);
    }

    [Fact]
    public async Task After_dispose_appends_say_closed_and_acknowledgements_are_ignored()
    {
        var spool = await _harness.OpenAsync();
        var ticket = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        spool.Dispose();
        spool.Dispose();
        var batch = SpoolBatch.Json(0, "2");
        Assert.Equal(SpoolAppendStatus.Closed, spool.TryAppend(0, batch.Sequence(), batch.Ends, out _));
        spool.Acknowledge(ticket);

        using var reopened = await _harness.OpenAsync();
        Assert.Single(await SpoolHarness.ReplayAllAsync(reopened));
    }
}
