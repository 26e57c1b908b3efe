using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Serialization;

/// <summary>ThriveStack (specs 000 and 001): tracks to /api/track, pages to /api/page, each with the fields its API takes.</summary>
public class ThriveStackFormatTests
{
    private static readonly ThriveStackFormat Format = ThriveStackFormat.Instance;

    [Fact]
    public void Tracks_and_pages_go_to_their_own_endpoints()
    {
        Assert.Equal(2, Format.PartitionCount);
        Assert.Equal(ThriveStackFormat.TrackPartition, Format.PartitionOf(EventKind.Track));
        Assert.Equal(ThriveStackFormat.PagePartition, Format.PartitionOf(EventKind.Page));
        Assert.NotEqual(ThriveStackFormat.TrackPartition, ThriveStackFormat.PagePartition);
        Assert.Equal("/api/track", Format.EndpointPath(ThriveStackFormat.TrackPartition));
        Assert.Equal("/api/page", Format.EndpointPath(ThriveStackFormat.PagePartition));
        Assert.True(Format.WritesContext);
    }

    [Fact]
    public void A_track_has_its_user_and_name_a_page_its_user_or_its_session()
    {
        var make = new TestRecords();
        const string Time = "\"timestamp\":\"2024-10-20T15:51:35.059000Z\"";

        Assert.Equal("{\"user_id\":\"u1\",\"event_name\":\"signed_up\"," + Time + "}", Write(make.Track("u1", "signed_up")));
        Assert.Equal("{\"user_id\":\"u2\"," + Time + "}", Write(make.UserPage("u2", "Home")));
        Assert.Equal("{\"session_id\":\"s3\"," + Time + "}", Write(make.SessionPage("s3", "Home")));
    }

    [Fact]
    public void Every_format_refuses_a_null_writer_naming_it()
    {
        WireFormat[] formats = [Format, new SegmentFormat(), new PrimeDataFormat("client")];
        foreach (var format in formats)
        {
            var record = new TestRecords().Track("u", "e");
            Assert.Equal("writer", NullWriterParameter(format, ref record));
        }
    }

    private static string? NullWriterParameter(WireFormat format, ref EventRecord record)
    {
        try
        {
            format.WriteEvent(null!, new EventView(ref record, 0, new EventWriter()));
            return null;
        }
        catch (ArgumentNullException ex)
        {
            return ex.ParamName;
        }
    }

    private static string Write(EventRecord record)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new EventWriter();
        writer.Attach(output);
        writer.Write(Format, ref record, 0);
        writer.Flush();
        using (JsonDocument.Parse(output.WrittenMemory))
        {
        }

        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
