using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Serialization;

namespace Sluice.Tests.Support;

/// <summary>
/// What a wire format must make of a <see cref="TestEvent"/>, written independently of the engine: the event's JSON, its
/// endpoint, and the exact envelope around the events (send-time fields included), for <see cref="BatchRules"/>.
/// </summary>
public sealed class WireShape
{
    private WireShape(string name, string prefix, Func<byte[], string> expectedSuffix, Func<JsonElement, JsonElement> events,
        Func<TestEvent, string> endpoint, Func<TestEvent, long, string> eventJson)
    {
        Name = name;
        Prefix = prefix;
        ExpectedSuffix = expectedSuffix;
        Events = events;
        Endpoint = endpoint;
        EventJson = eventJson;
    }

    /// <summary>ThriveStack (specs 000, 001): a bare array, tracks and pages on their own endpoints.</summary>
    public static WireShape ThriveStack { get; } = new("ThriveStack", "[", _ => "]", root => root,
        e => e.Page ? "/api/page" : "/api/track", (e, _) => e.ExpectedJson());

    public string Name { get; }

    /// <summary>The bytes before the first event.</summary>
    public string Prefix { get; }

    /// <summary>The bytes after the last event the sent body must end with (given the body, for its length only).</summary>
    public Func<byte[], string> ExpectedSuffix { get; }

    /// <summary>The events array of a parsed body.</summary>
    public Func<JsonElement, JsonElement> Events { get; }

    public Func<TestEvent, string> Endpoint { get; }

    /// <summary>The event's JSON, given its sequence number in the engine.</summary>
    public Func<TestEvent, long, string> EventJson { get; }

    /// <summary>
    /// Segment / Customer.io batch (spec 003): <c>{"batch":[...],"sentAt":"..."}</c> on one endpoint; each event with its
    /// type, id, name, properties, timestamp and <c>messageId</c>; <c>sentAt</c> the time of sending, <paramref name="sentAt"/>.
    /// </summary>
    public static WireShape Segment(SegmentFormat format, DateTimeOffset sentAt)
    {
        string suffix = $"],\"sentAt\":\"{sentAt.UtcDateTime:yyyy-MM-ddTHH:mm:ss.ffffff}Z\"}}";
        return new("Segment", "{\"batch\":[", _ => suffix, root => root.GetProperty("batch"), _ => "/v1/batch", (e, sequence) =>
        {
            byte[] id = new byte[36];
            format.FormatMessageId(sequence, id);
            string messageId = Encoding.ASCII.GetString(id);
            return Write(w =>
            {
                w.WriteString("type", e.Page ? "page" : "track");
                if (e.Page)
                {
                    w.WriteString("anonymousId", e.SessionId);
                    w.WriteString("name", TestEvent.PageName);
                }
                else
                {
                    w.WriteString("userId", e.UserId);
                    w.WriteString("event", TestEvent.EventName);
                }

                e.WriteProperties(w);
                w.WriteString("timestamp", TestEvent.TimestampText);
                w.WriteString("messageId", messageId);
            });
        });
    }

    /// <summary>PrimeData (spec 004): <c>{"events":[...]}</c> on one endpoint; <c>scope</c> the client id; a named page's target.</summary>
    public static WireShape PrimeData(string clientId)
        => new("PrimeData", "{\"events\":[", _ => "]}", root => root.GetProperty("events"), _ => "/powehi/smile", (e, _) => Write(w =>
        {
            w.WriteString("eventType", e.Page ? "view" : TestEvent.EventName);
            w.WriteString("sessionId", e.Page ? e.SessionId : e.UserId);
            w.WriteString("scope", clientId);
            w.WriteString("timeStamp", TestEvent.TimestampText);
            e.WriteProperties(w);
            if (e.Page)
            {
                w.WriteStartObject("target");
                w.WriteString("itemId", TestEvent.PageName);
                w.WriteString("itemType", "page");
                w.WriteEndObject();
            }
        }));

    public override string ToString() => Name;

    private static string Write(Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EventWriter.WriterOptions))
        {
            w.WriteStartObject();
            members(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
