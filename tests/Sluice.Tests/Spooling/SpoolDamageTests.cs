using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

/// <summary>
/// Torn tails and bit flips written into the files: the spool opens, counts and reports the damage,
/// truncates a torn tail, skips a corrupt record, and reads every intact record back.
/// </summary>
public sealed class SpoolDamageTests : IDisposable
{
    private static readonly SpoolBatch[] Batches =
    [
        SpoolBatch.Json(0, """{"event":"first"}"""),
        SpoolBatch.Json(1, """{"event":"second"}""", """{"event":"third"}"""),
        SpoolBatch.Json(0, """{"event":"fourth"}"""),
    ];

    private readonly SpoolHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task A_torn_tail_cut_at_every_byte_of_the_last_record_is_truncated_and_the_records_before_it_are_intact()
    {
        var (segment, tickets, _) = await WritePristineAsync();
        var last = tickets[^1];
        Assert.Equal(segment.Bytes.Length, last.Offset + last.Length);

        for (int cut = 0; cut < last.Length; cut++)
        {
            using var copy = new SpoolHarness();
            File.WriteAllBytes(Path.Combine(copy.Directory, segment.Name), segment.Bytes[..(int)(last.Offset + cut)]);

            using var spool = await copy.OpenAsync(o => o.Sync = SpoolSync.None);
            var replayed = await SpoolHarness.ReplayAllAsync(spool);

            Assert.True(replayed.Count == 2 && replayed[0].SameAs(Batches[0]) && replayed[1].SameAs(Batches[1]), $"cut at {cut}");
            Assert.Equal(new SpoolRecovery(2, 3, tickets[0].Length + tickets[1].Length, 0, 0, cut == 0 ? 0 : 1, cut, 0, 0), spool.Recovery);
            Assert.Equal(last.Offset, new FileInfo(Path.Combine(copy.Directory, segment.Name)).Length);
            var torn = copy.DiagnosticsOf(SpoolDiagnosticKind.TornTail);
            Assert.Equal(cut == 0 ? 0 : 1, torn.Count);
            Assert.All(torn, d => Assert.Contains(segment.Name, d.Message, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_flip_of_any_byte_of_a_record_between_others_is_counted_as_one_corrupt_record_and_only_that_record_is_lost()
    {
        var (segment, tickets, _) = await WritePristineAsync();
        var middle = tickets[1];

        for (int i = 0; i < middle.Length; i++)
        {
            using var copy = new SpoolHarness();
            var bytes = (byte[])segment.Bytes.Clone();
            bytes[middle.Offset + i] ^= 0x5A;
            File.WriteAllBytes(Path.Combine(copy.Directory, segment.Name), bytes);

            using var spool = await copy.OpenAsync(o => o.Sync = SpoolSync.None);
            var replayed = await SpoolHarness.ReplayAllAsync(spool);

            Assert.True(replayed.Count == 2 && replayed[0].SameAs(Batches[0]) && replayed[1].SameAs(Batches[2]), $"flip at {i}");
            Assert.Equal(new SpoolRecovery(2, 2, tickets[0].Length + tickets[2].Length, 1, middle.Length, 0, 0, 0, 0), spool.Recovery);
            var corrupt = Assert.Single(copy.Diagnostics);
            Assert.Equal(SpoolDiagnosticKind.CorruptRecord, corrupt.Kind);
            Assert.Equal(middle.Length, corrupt.Bytes);
        }
    }

    [Fact]
    public async Task A_flip_of_any_byte_of_the_last_record_makes_it_a_torn_tail()
    {
        var (segment, tickets, _) = await WritePristineAsync();
        var last = tickets[^1];

        for (int i = 0; i < last.Length; i++)
        {
            using var copy = new SpoolHarness();
            var bytes = (byte[])segment.Bytes.Clone();
            bytes[last.Offset + i] ^= 0x01;
            File.WriteAllBytes(Path.Combine(copy.Directory, segment.Name), bytes);

            using var spool = await copy.OpenAsync(o => o.Sync = SpoolSync.None);
            var replayed = await SpoolHarness.ReplayAllAsync(spool);

            Assert.True(replayed.Count == 2 && replayed[1].SameAs(Batches[1]), $"flip at {i}");
            Assert.Equal((0, 1, (long)last.Length), (spool.Recovery.CorruptRecords, spool.Recovery.TornTails, spool.Recovery.TornBytes));
        }
    }

    [Fact]
    public async Task A_flip_in_the_segment_header_is_counted_and_every_record_is_still_read()
    {
        var (segment, tickets, _) = await WritePristineAsync();
        int headerLength = (int)tickets[0].Offset;

        for (int i = 0; i < headerLength; i++)
        {
            using var copy = new SpoolHarness();
            var bytes = (byte[])segment.Bytes.Clone();
            bytes[i] ^= 0x80;
            File.WriteAllBytes(Path.Combine(copy.Directory, segment.Name), bytes);

            using var spool = await copy.OpenAsync(o => o.Sync = SpoolSync.None);
            var replayed = await SpoolHarness.ReplayAllAsync(spool);

            Assert.True(replayed.Count == 3 && replayed.Select((r, k) => r.SameAs(Batches[k])).All(x => x), $"flip at {i}");
            Assert.Equal((1, (long)headerLength, 0), (spool.Recovery.CorruptRecords, spool.Recovery.CorruptBytes, spool.Recovery.TornTails));
        }
    }

    [Fact]
    public async Task A_damaged_acknowledgement_brings_its_batch_back_and_is_counted()
    {
        var (segment, tickets, acks) = await WritePristineAsync(acknowledge: [0, 1]);
        Assert.Equal(2 * RecordLayout.AcknowledgementLength, acks!.Bytes.Length);

        for (int i = 0; i < acks.Bytes.Length; i++)
        {
            using var copy = new SpoolHarness();
            File.WriteAllBytes(Path.Combine(copy.Directory, segment.Name), segment.Bytes);
            var bytes = (byte[])acks.Bytes.Clone();
            bytes[i] ^= 0x10;
            File.WriteAllBytes(Path.Combine(copy.Directory, acks.Name), bytes);

            using var spool = await copy.OpenAsync(o => o.Sync = SpoolSync.None);
            var replayed = await SpoolHarness.ReplayAllAsync(spool);

            int damaged = i / RecordLayout.AcknowledgementLength; // which acknowledgement the flip hit
            Assert.Equal([tickets[damaged].BatchId, tickets[2].BatchId], replayed.Select(r => r.Ticket.BatchId));
            bool last = damaged == 1;
            Assert.Equal((last ? 0 : 1, last ? 1 : 0), (spool.Recovery.CorruptRecords, spool.Recovery.TornTails));
        }
    }

    [Fact]
    public async Task Zeros_after_the_last_record_as_a_file_extended_before_its_data_was_written_are_a_torn_tail()
    {
        var (segment, _, _) = await WritePristineAsync();
        File.WriteAllBytes(Path.Combine(_harness.Directory, segment.Name), [.. segment.Bytes, .. new byte[4096]]);

        using var spool = await _harness.OpenAsync();
        Assert.Equal(3, (await SpoolHarness.ReplayAllAsync(spool)).Count);
        Assert.Equal((1, 4096L), (spool.Recovery.TornTails, spool.Recovery.TornBytes));
        Assert.Equal(segment.Bytes.Length, new FileInfo(Path.Combine(_harness.Directory, segment.Name)).Length);
    }

    [Fact]
    public async Task Damage_in_one_segment_does_not_keep_the_others_from_being_read()
    {
        var batch = SpoolBatch.Random(new Random(5), 0, events: 2, bodyLength: 1_500);
        SpoolTicket[] tickets;
        using (var spool = await _harness.OpenAsync(o => o.SegmentBytes = 4096))
            tickets = Enumerable.Range(0, 6).Select(_ => SpoolHarness.Append(spool, batch)).ToArray();
        Assert.Equal(3, tickets.Select(t => t.SegmentId).Distinct().Count());

        // Garbage over the whole first record of the first segment, and the second segment cut in its header.
        string first = SpoolDirectory.SegmentPath(_harness.Directory, tickets[0].SegmentId);
        var bytes = File.ReadAllBytes(first);
        Random.Shared.NextBytes(bytes.AsSpan((int)tickets[0].Offset, tickets[0].Length));
        File.WriteAllBytes(first, bytes);
        string second = SpoolDirectory.SegmentPath(_harness.Directory, tickets[2].SegmentId);
        File.WriteAllBytes(second, File.ReadAllBytes(second)[..10]);

        using var reopened = await _harness.OpenAsync(o => o.SegmentBytes = 4096);
        var replayed = await SpoolHarness.ReplayAllAsync(reopened);
        Assert.Equal([tickets[1].BatchId, tickets[4].BatchId, tickets[5].BatchId], replayed.Select(r => r.Ticket.BatchId));
        Assert.All(replayed, r => Assert.True(r.SameAs(batch)));
        Assert.Equal((1, 1), (reopened.Recovery.CorruptRecords, reopened.Recovery.TornTails));
        Assert.False(File.Exists(second)); // nothing was left in it
    }

    [Fact]
    public async Task A_segment_cut_inside_its_header_by_a_crash_right_after_it_was_made_still_keeps_ids_increasing()
    {
        SpoolTicket ticket;
        using (var spool = await _harness.OpenAsync())
        {
            ticket = SpoolHarness.Append(spool, Batches[0]);
            spool.Acknowledge(ticket);
        }

        string segment = Assert.Single(_harness.Files(".segment"));
        File.WriteAllBytes(segment, File.ReadAllBytes(segment)[..5]);

        using var reopened = await _harness.OpenAsync();
        Assert.Empty(await SpoolHarness.ReplayAllAsync(reopened));
        Assert.True(SpoolHarness.Append(reopened, Batches[1]).BatchId > ticket.BatchId);
    }

    private async Task<(SavedFile Segment, SpoolTicket[] Tickets, SavedFile? Acks)> WritePristineAsync(int[]? acknowledge = null)
    {
        SpoolTicket[] tickets;
        using (var spool = await _harness.OpenAsync())
        {
            tickets = Batches.Select(b => SpoolHarness.Append(spool, b)).ToArray();
            foreach (int i in acknowledge ?? [])
                spool.Acknowledge(tickets[i]);
        }

        string segment = SpoolDirectory.SegmentPath(_harness.Directory, tickets[0].SegmentId);
        string acks = SpoolDirectory.AcknowledgementsPath(_harness.Directory, tickets[0].SegmentId);
        return (new SavedFile(Path.GetFileName(segment), File.ReadAllBytes(segment)), tickets,
            File.Exists(acks) ? new SavedFile(Path.GetFileName(acks), File.ReadAllBytes(acks)) : null);
    }

    private sealed record SavedFile(string Name, byte[] Bytes);
}
