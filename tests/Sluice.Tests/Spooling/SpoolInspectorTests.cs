using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

/// <summary>The status of a spool directory (for <c>sluice spool status</c>): read-only, with or without an engine on it.</summary>
public sealed class SpoolInspectorTests : IDisposable
{
    private readonly SpoolHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task The_status_counts_the_batches_not_acknowledged_their_events_bytes_and_the_oldest_age()
    {
        var start = _harness.Time.GetUtcNow();
        using (var spool = await _harness.OpenAsync())
        {
            var first = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1", "2"));
            _harness.Time.Advance(TimeSpan.FromMinutes(1));
            SpoolHarness.Append(spool, SpoolBatch.Json(0, "3", "4", "5"));
            SpoolHarness.Append(spool, SpoolBatch.Json(1, "6"));
            spool.Acknowledge(first);
        }

        _harness.Time.Advance(TimeSpan.FromHours(2));
        var status = await SpoolInspector.InspectAsync(_harness.Directory, _harness.Time);

        Assert.False(status.InUse);
        Assert.Equal([SpoolHarness.Format], status.Formats);
        Assert.Equal((1, 2L, 4L), (status.Segments, status.Batches, status.Events));
        Assert.Equal(_harness.Files(".segment").Concat(_harness.Files(".acks")).Sum(f => new FileInfo(f).Length), status.Bytes);
        Assert.Equal(start.AddMinutes(1), status.OldestAppendedAt);
        Assert.Equal(TimeSpan.FromHours(2), status.OldestAge);
        Assert.Equal((0, 0, 0L), (status.CorruptRecords, status.TornTails, status.DamagedBytes));
    }

    [Fact]
    public async Task The_status_reports_damage_without_repairing_it()
    {
        SpoolTicket[] tickets;
        using (var spool = await _harness.OpenAsync())
            tickets = Enumerable.Range(0, 3).Select(i => SpoolHarness.Append(spool, SpoolBatch.Json(0, $"{i}"))).ToArray();
        string segment = Assert.Single(_harness.Files(".segment"));
        var bytes = File.ReadAllBytes(segment);
        bytes[tickets[0].Offset + 50] ^= 1;
        bytes = [.. bytes[..(int)(tickets[2].Offset + 10)]];
        File.WriteAllBytes(segment, bytes);

        var status = await SpoolInspector.InspectAsync(_harness.Directory, _harness.Time);

        Assert.Equal((1L, 1, 1), (status.Batches, status.CorruptRecords, status.TornTails));
        Assert.Equal(tickets[0].Length + 10, status.DamagedBytes);
        Assert.Equal(bytes, File.ReadAllBytes(segment));
    }

    [Fact]
    public async Task The_status_of_a_directory_in_use_says_so_counts_a_record_being_written_as_incomplete_and_does_not_block_the_engine()
    {
        using var spool = await _harness.OpenAsync();
        var ticket = SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        string segment = SpoolDirectory.SegmentPath(_harness.Directory, ticket.SegmentId);
        using (var writer = new FileStream(segment, FileMode.Append, FileAccess.Write, FileShare.ReadWrite))
            writer.Write([0xF5, (byte)'S', (byte)'L', (byte)'R', 1, 2, 3]); // the start of a record in progress

        var status = await SpoolInspector.InspectAsync(_harness.Directory, _harness.Time);

        Assert.True(status.InUse);
        Assert.Equal((1L, 0, 0L, 7L), (status.Batches, status.TornTails, status.DamagedBytes, status.IncompleteBytes));
        SpoolHarness.Append(spool, SpoolBatch.Json(0, "2")); // the engine carries on (and overwrites the partial bytes)
    }

    [Fact]
    public async Task An_engine_can_open_the_directory_right_after_a_status()
    {
        using (var spool = await _harness.OpenAsync())
            SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        await SpoolInspector.InspectAsync(_harness.Directory, _harness.Time);
        using var reopened = await _harness.OpenAsync();
        Assert.Single(await SpoolHarness.ReplayAllAsync(reopened));
    }

    [Fact]
    public async Task The_status_of_a_directory_that_does_not_exist_says_so()
    {
        string missing = Path.Combine(_harness.Directory, "missing");
        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => SpoolInspector.InspectAsync(missing, _harness.Time).AsTask());
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }
}
