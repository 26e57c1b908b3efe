using System.Text;
using System.Text.Json;
using Sluice.Collector;
using Sluice.Delivery.Transports;
using Sluice.Delivery.Transports.Http;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Serialization;

public class PrimeDataFormatTests
{
    private const string ClientId = "test-client-id";
    private static readonly DateTimeOffset Time = new(2021, 10, 15, 11, 49, 0, TimeSpan.Zero);

    [Fact]
    public void The_context_has_no_place_in_the_API_and_is_not_counted()
        => Assert.False(new PrimeDataFormat("client").WritesContext);

    [Fact]
    public async Task Events_are_written_in_the_shape_of_spec_004()
    {
        // Spec 004: {"events": [{"eventType": "view", "sessionId": ..., "properties": {}, "scope": ${YOUR_DATA_SOURCE_ID},
        //            "timeStamp": "2021-10-15T18:49:00+07:00", "source": {...}, "target": {"itemId": "_", "itemType": "_"}}]}
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = new PrimeDataFormat(ClientId) }, transport))
        {
            engine.Page(null, "d6f5c3a2", timestamp: Time, name: "Pricing");
            engine.Track("user-7", "add_to_cart", new Dictionary<string, object?> { ["sku"] = "A-1", ["qty"] = 2 },
                new Dictionary<string, object?> { ["ip"] = "8.8.8.8" }, Time);
            engine.Page("user-7", null, new Dictionary<string, object?> { ["url"] = "https://example.com/" }, timestamp: Time);
        }

        var batch = Assert.Single(transport.Batches);
        Assert.Equal("/powehi/smile", batch.EndpointPath);
        Assert.Equal(
            """{"events":[""" +
            """{"eventType":"view","sessionId":"d6f5c3a2","scope":"test-client-id","timeStamp":"2021-10-15T11:49:00.000000Z","properties":{},"target":{"itemId":"Pricing","itemType":"page"}},""" +
            """{"eventType":"add_to_cart","sessionId":"user-7","scope":"test-client-id","timeStamp":"2021-10-15T11:49:00.000000Z","properties":{"sku":"A-1","qty":2}},""" +
            """{"eventType":"view","sessionId":"user-7","scope":"test-client-id","timeStamp":"2021-10-15T11:49:00.000000Z","properties":{"url":"https://example.com/"}}""" +
            "]}",
            Encoding.UTF8.GetString(batch.Body));
    }

    [Fact]
    public async Task The_page_event_type_is_configurable()
    {
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = new PrimeDataFormat(ClientId, pageEventType: "page_view") }, transport))
            engine.Page(null, "s", timestamp: Time);

        var e = Assert.Single(BatchJson.Events(Assert.Single(transport.Batches), "events"));
        Assert.Equal("page_view", e.GetProperty("eventType").GetString());
        Assert.False(e.TryGetProperty("target", out _));
    }

    [Fact]
    public async Task The_scope_is_the_client_id_escaped_once_as_JSON()
    {
        const string Odd = "client \"42\" \\ é";
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = new PrimeDataFormat(Odd) }, transport))
        {
            engine.Track("u", "e");
            engine.Track("u", "e");
        }

        var events = BatchJson.Events(Assert.Single(transport.Batches), "events");
        Assert.All(events, e => Assert.Equal(Odd, e.GetProperty("scope").GetString()));
    }

    /// <summary>
    /// Spec 004: "`scope` | Should be exactly the same as the `X-Client-ID`". A client id with spaces around it (a padded
    /// configuration value) reaches the server without them in the header (HTTP drops the whitespace around a field's value),
    /// so the scope must go without them too: else every event is refused, each alone after a bisection.
    /// </summary>
    [Fact]
    public async Task A_client_id_with_spaces_around_it_sends_the_scope_the_X_Client_Id_header_carries()
    {
        await using var collector = await ReferenceCollector.StartAsync(options: new CollectorOptions { PrimeDataClientId = ClientId });
        const string Padded = "  " + ClientId + " ";
        using var transport = new HttpTransport(new HttpTransportOptions
        {
            BaseAddress = collector.BaseAddress,
            Authentication = HttpAuthentication.PrimeData(Padded, collector.Credentials.PrimeDataAccessToken),
        });
        var format = new PrimeDataFormat(Padded);
        ShutdownResult result;
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = format }, transport))
        {
            engine.Track("u1", "view_item", timestamp: Time);
            engine.Page(null, "s1", timestamp: Time);
            result = await engine.ShutdownAsync();
        }

        Assert.Equal(2, result.Counters.Delivered);
        Assert.Equal(0, result.Counters.RejectedByServer);
        Assert.All(collector.Received(CollectorApi.PrimeData).Events, e => Assert.Equal(ClientId, e.GetProperty("scope").GetString()));
        Assert.Equal(ClientId, format.ClientId);
    }

    [Theory]
    [InlineData(null, "view")]
    [InlineData("", "view")]
    [InlineData("id", "")]
    [InlineData("  ", "view")] // a blank id would be every event's scope and the X-Client-Id header
    [InlineData("id", "\t")] // every page's eventType, which the API requires
    public void The_constructor_refuses_a_missing_client_id_or_page_type(string? clientId, string pageEventType)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => new PrimeDataFormat(clientId!, pageEventType));

        Assert.Equal(string.IsNullOrWhiteSpace(clientId) ? "clientId" : "pageEventType", ex.ParamName);
    }

    [Fact]
    public async Task A_body_is_exactly_MaxBatchBytes_when_the_events_fill_it_envelope_included()
    {
        const int Envelope = 13; // {"events":[ and ]}
        int eventLength = (await Bodies(maxBatchBytes: 1 << 20, events: 1)).Single().Length - Envelope;
        int fourEvents = Envelope + (4 * eventLength) + 3;

        var exact = await Bodies(fourEvents, events: 9);
        var oneLess = await Bodies(fourEvents - 1, events: 9);

        Assert.Equal([fourEvents, fourEvents, Envelope + eventLength], exact.Select(b => b.Length));
        Assert.Equal([4, 4, 1], exact.Select(EventsIn));
        Assert.Equal([3, 3, 3], oneLess.Select(EventsIn));
    }

    [Fact]
    public async Task The_bodies_are_accepted_by_the_reference_collector()
    {
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = new PrimeDataFormat(ClientId) }, transport))
        {
            for (int i = 0; i < 1_500; i++)
            {
                engine.Track("user-" + i, "view_item", new Dictionary<string, object?> { ["item"] = i });
                engine.Page(null, "session-" + i, new Dictionary<string, object?> { ["url"] = "/items/" + i }, name: i % 3 == 0 ? null : "Item " + i);
            }
        }

        await using var collector = await ReferenceCollector.StartAsync(options: new CollectorOptions { PrimeDataClientId = ClientId });
        int updated = 0;
        foreach (var batch in transport.Batches)
        {
            var (status, reply, _) = await CollectorRequests.PostAsync(collector, CollectorApi.PrimeData, Encoding.UTF8.GetString(batch.Body));
            Assert.True(status == 200, reply);
            updated += JsonDocument.Parse(reply).RootElement.GetProperty("updated").GetInt32();
        }

        var received = collector.Received(CollectorApi.PrimeData);
        Assert.Equal(3_000, received.EventCount);
        Assert.Equal(3_000, updated); // 3,000 distinct session ids, none split across two requests
        Assert.InRange(received.MaxEventsPerRequest, 1, 1_000);
        var pages = received.Events.Where(e => e.GetProperty("eventType").GetString() == "view").ToList();
        Assert.Equal(1_500, pages.Count);
        Assert.Equal(1_000, pages.Count(e => e.TryGetProperty("target", out var t) && t.GetProperty("itemType").GetString() == "page"));
    }

    private static int EventsIn(byte[] body) => JsonDocument.Parse(body).RootElement.GetProperty("events").GetArrayLength();

    private static async Task<List<byte[]>> Bodies(int maxBatchBytes, int events)
    {
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = new PrimeDataFormat(ClientId), MaxBatchBytes = maxBatchBytes }, transport))
        {
            for (int i = 0; i < events; i++)
                engine.Track("user-1", "evt", timestamp: Time);
        }

        Assert.NotEmpty(transport.Batches);
        return transport.Batches.OrderBy(b => b.Sequence).Select(b => b.Body).ToList();
    }
}
