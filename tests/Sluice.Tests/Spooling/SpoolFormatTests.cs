using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using Sluice.Serialization;
using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

/// <summary>The on-disk format as docs/durability.md describes it, and the wire format a spool belongs to.</summary>
public sealed class SpoolFormatTests : IDisposable
{
    private readonly SpoolHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task A_segment_file_is_laid_out_as_documented()
    {
        var batch = SpoolBatch.Json(2, """{"a":1}""", """{"b":2}""");
        SpoolTicket ticket;
        using (var spool = await _harness.OpenAsync())
        {
            ticket = SpoolHarness.Append(spool, batch);
            spool.Acknowledge(ticket);
        }

        var file = File.ReadAllBytes(Assert.Single(_harness.Files(".segment")));
        var identity = Encoding.UTF8.GetBytes(SpoolHarness.Format);

        // Header: magic, CRC of the rest, version 1, identity length, first batch id, created at, identity.
        Assert.Equal([0xF5, (byte)'S', (byte)'L', (byte)'S'], file[..4]);
        int headerLength = 28 + identity.Length;
        Assert.Equal(Crc32.HashToUInt32(file.AsSpan(8, headerLength - 8)), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(4)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(8)));
        Assert.Equal(identity.Length, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(10)));
        Assert.Equal(ticket.SegmentId, BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(12)));
        Assert.Equal(_harness.Time.GetUtcNow().ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(20)));
        Assert.Equal(identity, file[28..headerLength]);
        Assert.Equal(headerLength, ticket.Offset);

        // Batch record: magic, header CRC (bytes 8-43), type 1, flags 0, partition, events, body length,
        // payload CRC, batch id, appended at, format tag; then the event ends and the body.
        var record = file.AsSpan(headerLength);
        Assert.Equal([0xF5, (byte)'S', (byte)'L', (byte)'R'], record[..4].ToArray());
        Assert.Equal(Crc32.HashToUInt32(record[8..44]), BinaryPrimitives.ReadUInt32LittleEndian(record[4..]));
        Assert.Equal((1, 0), (record[8], record[9]));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(record[10..]));
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(record[12..]));
        Assert.Equal(batch.Body.Length, BinaryPrimitives.ReadInt32LittleEndian(record[16..]));
        int payload = (4 * 2) + batch.Body.Length;
        Assert.Equal(Crc32.HashToUInt32(record.Slice(44, payload)), BinaryPrimitives.ReadUInt32LittleEndian(record[20..]));
        Assert.Equal(ticket.BatchId, BinaryPrimitives.ReadInt64LittleEndian(record[24..]));
        Assert.Equal(_harness.Time.GetUtcNow().ToUnixTimeMilliseconds(), BinaryPrimitives.ReadInt64LittleEndian(record[32..]));
        Assert.Equal(Crc32.HashToUInt32(identity), BinaryPrimitives.ReadUInt32LittleEndian(record[40..]));
        Assert.Equal(batch.Ends, new[] { BinaryPrimitives.ReadInt32LittleEndian(record[44..]), BinaryPrimitives.ReadInt32LittleEndian(record[48..]) });
        Assert.Equal(batch.Body, record[52..].ToArray());
        Assert.Equal(44 + payload, ticket.Length);

        // Acknowledgement: magic, CRC (bytes 8-23), type 2, flags 0, reserved, event count, batch id.
        var ack = File.ReadAllBytes(Assert.Single(_harness.Files(".acks")));
        Assert.Equal(24, ack.Length);
        Assert.Equal([0xF5, (byte)'S', (byte)'L', (byte)'R'], ack[..4]);
        Assert.Equal(Crc32.HashToUInt32(ack.AsSpan(8, 16)), BinaryPrimitives.ReadUInt32LittleEndian(ack.AsSpan(4)));
        Assert.Equal((2, 0, 0), (ack[8], ack[9], BinaryPrimitives.ReadUInt16LittleEndian(ack.AsSpan(10))));
        Assert.Equal(2, BinaryPrimitives.ReadInt32LittleEndian(ack.AsSpan(12)));
        Assert.Equal(ticket.BatchId, BinaryPrimitives.ReadInt64LittleEndian(ack.AsSpan(16)));
    }

    [Fact]
    public async Task A_spool_written_for_another_wire_format_is_refused_naming_both_and_left_as_it_was()
    {
        using (var spool = await _harness.OpenAsync())
            SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        var before = _harness.Files(".segment").Select(File.ReadAllBytes).ToArray();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _harness.OpenAsync(format: "other-format"));
        Assert.Contains(_harness.Directory, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{SpoolHarness.Format}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'other-format'", error.Message, StringComparison.Ordinal);

        Assert.Equal(before, _harness.Files(".segment").Select(File.ReadAllBytes).ToArray());
        using var same = await _harness.OpenAsync(); // the refused open released the directory
        Assert.Single(await SpoolHarness.ReplayAllAsync(same));
    }

    [Fact]
    public async Task A_segment_of_another_layout_version_is_refused_and_left_as_it_was_not_truncated_as_damage()
    {
        // What a later version of Sluice could write: an intact header of layout version 2, records this version cannot read.
        using (var spool = await _harness.OpenAsync())
            SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        string segment = Assert.Single(_harness.Files(".segment"));
        var bytes = File.ReadAllBytes(segment);
        int headerLength = 28 + Encoding.UTF8.GetByteCount(SpoolHarness.Format);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), Crc32.HashToUInt32(bytes.AsSpan(8, headerLength - 8)));
        bytes[headerLength + 3] = (byte)'Q'; // a record magic of its own
        File.WriteAllBytes(segment, bytes);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _harness.OpenAsync());
        Assert.Contains(_harness.Directory, error.Message, StringComparison.Ordinal);
        Assert.Contains($"{Path.GetFileName(segment)}, written in spool layout version 2", error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(segment));

        var status = await SpoolInspector.InspectAsync(_harness.Directory, _harness.Time);
        Assert.Equal((0, 0, 0L), (status.CorruptRecords, status.TornTails, status.Batches));
        Assert.Equal(bytes.Length, status.Bytes);
        Assert.Contains(status.Formats, f => f.Contains("layout version 2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Records_of_another_format_behind_a_damaged_header_are_refused_too()
    {
        using (var spool = await _harness.OpenAsync())
            SpoolHarness.Append(spool, SpoolBatch.Json(0, "1"));
        string segment = Assert.Single(_harness.Files(".segment"));
        var bytes = File.ReadAllBytes(segment);
        bytes[5] ^= 1; // the header's CRC
        File.WriteAllBytes(segment, bytes);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _harness.OpenAsync(format: "other-format"));
        Assert.Contains("whose header is damaged", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_primedata_spool_belongs_to_its_client_id_which_every_body_carries_as_scope()
    {
        // Spec 004: scope "Should be exactly the same as the X-Client-ID". A replayed body keeps the scope it was written
        // with, so under another client id every event would go out with a scope that is not its X-Client-Id.
        string a = SpoolFormatIdentity.Of(new PrimeDataFormat("client-a"));

        Assert.Equal(a, SpoolFormatIdentity.Of(new PrimeDataFormat("client-a", pageEventType: "page_view")));
        Assert.NotEqual(a, SpoolFormatIdentity.Of(new PrimeDataFormat("client-b")));
    }

    [Fact]
    public void The_format_identity_tells_formats_and_their_envelopes_apart_but_not_two_instances_of_one()
    {
        string thriveStack = SpoolFormatIdentity.Of(ThriveStackFormat.Instance);
        Assert.StartsWith("Sluice.Serialization.ThriveStackFormat /api/track /api/page envelope ", thriveStack, StringComparison.Ordinal);
        Assert.Equal(SpoolFormatIdentity.Of(new SegmentFormat()), SpoolFormatIdentity.Of(new SegmentFormat()));
        string[] all = [thriveStack, SpoolFormatIdentity.Of(new SegmentFormat()), SpoolFormatIdentity.Of(new PrimeDataFormat("client"))];
        Assert.Equal(3, all.Distinct().Count());
    }
}
