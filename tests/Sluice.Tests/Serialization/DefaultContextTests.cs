using System.Text.Json;
using Sluice.Delivery.Transports;
using Sluice.Producing;
using Sluice.Serialization;

namespace Sluice.Tests.Serialization;

/// <summary>SluiceOptions.DefaultContext: members a wrapping library adds to every event's context, encoded once.</summary>
public class DefaultContextTests
{
    private const string Library = """{"library":{"name":"my-sdk","version":"1.2.0"},"channel":"server"}""";

    [Fact]
    public async Task Every_event_gets_the_default_context_whether_it_has_no_context_a_dictionary_a_callback_or_raw_json()
    {
        var events = await SendAsync(ThriveStackFormat.Instance, Library, engine =>
        {
            engine.Track("u1", "none");
            engine.Track("u2", "dictionary", context: new Dictionary<string, object?> { ["group_id"] = "g1" });
            engine.Track("u3", "callback", 7, null, static (ref PropertiesWriter w, int n) => w.WriteNumber("seats", n));
            engine.TrackJson("u4", "raw", """{"plan":"pro"}"""u8, """{ "group_id" : "g4", "nested": {"library": 1} }"""u8);
            engine.TrackJson("u5", "raw-empty", default, "{}"u8);
        });

        Assert.Equal(5, events.Count);
        foreach (var e in events)
        {
            var context = e.GetProperty("context");
            Assert.Equal("my-sdk", context.GetProperty("library").GetProperty("name").GetString());
            Assert.Equal("1.2.0", context.GetProperty("library").GetProperty("version").GetString());
            Assert.Equal("server", context.GetProperty("channel").GetString());
        }

        Assert.Equal(2, Context(events, "none").EnumerateObject().Count());
        Assert.Equal("g1", Context(events, "dictionary").GetProperty("group_id").GetString());
        Assert.Equal(7, Context(events, "callback").GetProperty("seats").GetInt32());
        Assert.Equal("g4", Context(events, "raw").GetProperty("group_id").GetString());
        Assert.Equal(1, Context(events, "raw").GetProperty("nested").GetProperty("library").GetInt32()); // a nested name is not a top-level one
        Assert.Equal(2, Context(events, "raw-empty").EnumerateObject().Count());
    }

    [Fact]
    public async Task A_member_the_event_also_has_is_written_once_from_the_event()
    {
        var events = await SendAsync(ThriveStackFormat.Instance, Library, engine =>
        {
            engine.Track("u1", "dictionary", context: new Dictionary<string, object?> { ["channel"] = "mobile" });
            engine.TrackJson("u2", "raw", default, """{"library":{"name":"app"}}"""u8);
        });

        var dictionary = Context(events, "dictionary");
        Assert.Equal(["library", "channel"], dictionary.EnumerateObject().Select(p => p.Name));
        Assert.Equal("mobile", dictionary.GetProperty("channel").GetString());
        var raw = Context(events, "raw");
        Assert.Equal(["channel", "library"], raw.EnumerateObject().Select(p => p.Name));
        Assert.Equal("app", raw.GetProperty("library").GetProperty("name").GetString());
        Assert.False(raw.GetProperty("library").TryGetProperty("version", out _));
    }

    [Fact]
    public async Task Segment_events_carry_it_and_primedata_events_do_not()
    {
        var segment = await SendAsync(new SegmentFormat(), Library, engine => engine.Track("u1", "signed_up"));
        Assert.Equal("my-sdk", Assert.Single(segment).GetProperty("context").GetProperty("library").GetProperty("name").GetString());

        var primeData = await SendAsync(new PrimeDataFormat("scope-1"), Library, engine => engine.Track("u1", "signed_up"));
        Assert.False(Assert.Single(primeData).TryGetProperty("context", out _));
    }

    [Theory]
    [InlineData("[1,2]", "DefaultContext must be a JSON object")]
    [InlineData("{\"a\":1,\"a\":2}", "DefaultContext must not repeat the member \"a\"")]
    [InlineData("{\"a\":", "DefaultContext must be a JSON object:")]
    [InlineData("{} {}", "DefaultContext must be a JSON object:")]
    public void A_default_context_that_is_not_one_json_object_is_refused_naming_the_option(string json, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => new SluiceEngine(new SluiceOptions { DefaultContext = json }, new InMemoryTransport()));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    private static JsonElement Context(List<JsonElement> events, string name)
        => events.Single(e => e.GetProperty("event_name").GetString() == name).GetProperty("context");

    private static async Task<List<JsonElement>> SendAsync(WireFormat format, string defaultContext, Action<SluiceEngine> produce)
    {
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = format, DefaultContext = defaultContext }, transport))
        {
            produce(engine);
            await engine.ShutdownAsync();
        }

        var events = new List<JsonElement>();
        foreach (var batch in transport.Batches)
        {
            using var json = JsonDocument.Parse(batch.Body);
            var array = json.RootElement.ValueKind == JsonValueKind.Array ? json.RootElement : json.RootElement.GetProperty(json.RootElement.TryGetProperty("batch", out _) ? "batch" : "events");
            events.AddRange(array.EnumerateArray().Select(e => e.Clone()));
        }
        return events;
    }
}
