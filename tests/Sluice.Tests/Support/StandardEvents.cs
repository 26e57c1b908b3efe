using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Serialization;
using Sluice.Producing;

namespace Sluice.Tests.Support;

/// <summary>A test event: a sequence number and a padding string, as a track or a page.</summary>
public sealed record TestEvent(int Seq, bool Page, string Pad, int Producer = 0)
{
    public static readonly DateTimeOffset Timestamp = new(2024, 10, 20, 15, 51, 35, 59, TimeSpan.Zero);

    /// <summary>How every format must write <see cref="Timestamp"/>.</summary>
    public const string TimestampText = "2024-10-20T15:51:35.059000Z";

    public const string EventName = "evt";

    /// <summary>A page's name: the Segment format requires one, ThriveStack writes none.</summary>
    public const string PageName = "home";

    public string UserId => "user-" + Producer;

    public string SessionId => "session-" + Producer;

    public EnqueueResult SendTo(SluiceEngine engine)
        => Page
            ? engine.Page(null, SessionId, this, Write, timestamp: Timestamp, name: PageName)
            : engine.Track(UserId, EventName, this, Write, timestamp: Timestamp);

    /// <summary>Writes the member <c>"properties"</c> as every format must.</summary>
    public void WriteProperties(Utf8JsonWriter w)
    {
        w.WriteStartObject("properties");
        w.WriteNumber("producer", Producer);
        w.WriteNumber("seq", Seq);
        w.WriteString("pad", Pad);
        w.WriteEndObject();
    }

    /// <summary>The JSON the ThriveStack format must write for this event, written independently of the engine.</summary>
    public string ExpectedJson() => _expected ??= WriteExpected();

    private string? _expected;

    private string WriteExpected()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EventWriter.WriterOptions))
        {
            w.WriteStartObject();
            if (Page)
            {
                w.WriteString("session_id", SessionId);
            }
            else
            {
                w.WriteString("user_id", UserId);
                w.WriteString("event_name", EventName);
            }

            w.WriteString("timestamp", TimestampText);
            WriteProperties(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public int ExpectedBytes => _bytes ??= Encoding.UTF8.GetByteCount(ExpectedJson());

    private int? _bytes;

    private static void Write(ref PropertiesWriter w, TestEvent e)
    {
        w.WriteNumber("producer", e.Producer);
        w.WriteNumber("seq", e.Seq);
        w.WriteString("pad", e.Pad);
    }
}
