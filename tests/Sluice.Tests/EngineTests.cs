using System.Text;
using System.Text.Json;
using Sluice.Delivery.Transports;
using Sluice.Producing;
using Sluice.Tests.Support;

namespace Sluice.Tests;

public class EngineTests
{
    [Fact]
    public async Task Track_and_page_arrive_in_their_own_endpoints_in_the_ThriveStack_shape()
    {
        var transport = new InMemoryTransport();
        var clock = new ManualTimeProvider();
        await using (var engine = new SluiceEngine(new SluiceOptions { TimeProvider = clock }, transport))
        {
            // Spec 001's example event.
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("3e474abe-5943-41fd-8b7b-4c87ad95b0c7", "signed_up",
                new Dictionary<string, object?> { ["email"] = "JohnDoe@acmelabs.com", ["name"] = "John Doe", ["first name"] = "John", ["last name"] = "Doe" },
                new Dictionary<string, object?> { ["group_id"] = "55444abe-41fd-5943-d95b-4c87ad95b674" }));
            // Spec 000's example: a page for a session.
            Assert.Equal(EnqueueStatus.Accepted, engine.Page(null, "1rwttH3IN",
                new Dictionary<string, object?> { ["page_name"] = "Homepage", ["page_url"] = "https://example.com/homepage" },
                new Dictionary<string, object?> { ["browser"] = "Chrome", ["os"] = "Windows" },
                timestamp: new DateTimeOffset(2024, 10, 20, 15, 51, 35, 59, TimeSpan.Zero)));
        }

        var track = Assert.Single(transport.Batches, b => b.EndpointPath == "/api/track");
        var page = Assert.Single(transport.Batches, b => b.EndpointPath == "/api/page");
        Assert.Equal(
            """[{"user_id":"3e474abe-5943-41fd-8b7b-4c87ad95b0c7","event_name":"signed_up","timestamp":"2024-10-20T15:51:35.000000Z","properties":{"email":"JohnDoe@acmelabs.com","name":"John Doe","first name":"John","last name":"Doe"},"context":{"group_id":"55444abe-41fd-5943-d95b-4c87ad95b674"}}]""",
            Encoding.UTF8.GetString(track.Body));
        Assert.Equal(
            """[{"session_id":"1rwttH3IN","timestamp":"2024-10-20T15:51:35.059000Z","properties":{"page_name":"Homepage","page_url":"https://example.com/homepage"},"context":{"browser":"Chrome","os":"Windows"}}]""",
            Encoding.UTF8.GetString(page.Body));
    }

    [Fact]
    public async Task The_three_property_APIs_write_the_same_bytes()
    {
        var transport = new InMemoryTransport();
        var ts = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        await using (var engine = new SluiceEngine(new SluiceOptions(), transport))
        {
            engine.Track("u", "e", new Dictionary<string, object?> { ["s"] = "x", ["n"] = 3, ["b"] = true, ["d"] = 1.5, ["z"] = null, ["a"] = new object?[] { 1, "two", null } }, timestamp: ts);
            engine.Track("u", "e", 0, static (ref PropertiesWriter w, int _) =>
            {
                w.WriteString("s", "x");
                w.WriteNumber("n", 3);
                w.WriteBoolean("b", true);
                w.WriteNumber("d", 1.5);
                w.WriteNull("z");
                w.WriteStartArray("a");
                w.WriteNumberValue(1);
                w.WriteStringValue("two");
                w.WriteNullValue();
                w.WriteEndArray();
            }, timestamp: ts);
            engine.TrackJson("u", "e", """{"s":"x","n":3,"b":true,"d":1.5,"z":null,"a":[1,"two",null]}"""u8, timestamp: ts);
        }

        var events = BatchJson.Events(Assert.Single(transport.Batches));
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal(events[0].GetRawText(), e.GetRawText()));
    }

    [Fact]
    public async Task Properties_are_a_snapshot_the_caller_may_mutate_after_the_call()
    {
        var transport = new InMemoryTransport();
        var props = new Dictionary<string, object?> { ["plan"] = "pro" };
        await using (var engine = new SluiceEngine(new SluiceOptions(), transport))
        {
            engine.Track("u", "e", props);
            props["plan"] = "free";
            props["added"] = 1;
        }

        var e = Assert.Single(BatchJson.Events(Assert.Single(transport.Batches)));
        Assert.Equal("""{"plan":"pro"}""", e.GetProperty("properties").GetRawText());
    }
}
