using Sluice.Delivery.Transports;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Producing;

/// <summary>Programmer errors throw ArgumentException naming the field, at the call; nothing is enqueued.</summary>
public class InputValidationTests : IAsyncLifetime
{
    private readonly InMemoryTransport _transport = new();
    private SluiceEngine _engine = null!;

    public Task InitializeAsync()
    {
        _engine = new SluiceEngine(new SluiceOptions(), _transport);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        // After every refused call the engine still works, and nothing refused was counted as accepted.
        Assert.Equal(EnqueueStatus.Accepted, _engine.Track("u", "still-works"));
        var result = await _engine.ShutdownAsync();
        Assert.Equal(1, result.Counters.Accepted);
        Assert.Equal(1, result.Counters.Delivered);
    }

    public static TheoryData<string, string> Cases() => new()
    {
        { "track without user_id", "user_id" },
        { "track with empty user_id", "user_id" },
        { "track without event_name", "event_name" },
        { "page with both ids", "not both" },
        { "page with neither id", "user_id or session_id" },
        { "NaN property", "properties.price" },
        { "infinite context value", "context.load" },
        { "unsupported property type", "properties.handle" },
        { "null dictionary key in nested map", "properties" },
        { "raw properties not an object", "properties: must be one JSON object" },
        { "raw properties with trailing content", "properties: not valid JSON" },
        { "raw properties invalid JSON", "properties: not valid JSON" },
        { "raw context invalid UTF-8", "context: the JSON is not valid UTF-8" },
        { "writer left an object open", "not closed" },
        { "writer closed what it did not open", "does not match" },
        { "keyed write inside an array", "inside an array" },
        { "element written outside an array", "outside an array" },
        { "nesting deeper than the limit", "nested deeper than 32 levels" },
        { "null key through the writer", "key is null" },

        // A nested value is named by its whole path, as docs/producing.md promises, not by its own key alone.
        { "nested context value after nested properties", "context.device.os: Infinity" },
        { "value in an object in an array", "properties.items[1].price: NaN" },
        { "nested value through the writer", "properties.cart.total: NaN" },
        { "nested JsonElement out of range", "properties.meta.raw: a number beyond" },
        { "keyed write inside a nested array", "properties.order.tags[1]: a keyed member (\"k\")" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_programmer_error_throws_an_ArgumentException_naming_the_field(string call, string expected)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Invoke(call));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Empty(_transport.Batches);
        Assert.Equal(0, _engine.GetCounters().Accepted);
    }

    [Fact]
    public void A_properties_callback_calling_Track_again_is_refused_clearly()
    {
        var engine = _engine;
        var ex = Assert.Throws<InvalidOperationException>(() => engine.Track("u", "outer", engine,
            static (ref PropertiesWriter w, SluiceEngine e) => e.Track("u", "inner", new Dictionary<string, object?> { ["a"] = 1 })));
        Assert.Contains("inside a properties callback", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_report_every_problem_at_once()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SluiceEngine(new SluiceOptions
        {
            MaxBatchEvents = 0,
            MaxBatchBytes = 10,
            FlushInterval = TimeSpan.Zero,
            QueueCapacity = 1,
            MaxConcurrentSends = 0,
            ShutdownTimeout = TimeSpan.FromSeconds(-1),
            FullMode = (FullMode)42,
        }, _transport));
        foreach (var name in new[] { "MaxBatchEvents", "MaxBatchBytes", "FlushInterval", "QueueCapacity", "MaxConcurrentSends", "ShutdownTimeout", "FullMode" })
            Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> BuiltInFormats() => ["ThriveStack", "Segment", "PrimeData"];

    [Theory]
    [MemberData(nameof(BuiltInFormats))]
    public void Batch_limits_above_what_a_built_in_format_api_takes_are_refused_when_the_engine_is_created(string name)
    {
        // Every full batch would be refused (400) and bisected: the built-in APIs take 1,000 events or 2 MB per request.
        // Before, only the hosting package refused such limits; an engine made in code took them.
        WireFormat format = name switch { "Segment" => new SegmentFormat(), "PrimeData" => new PrimeDataFormat("client"), _ => ThriveStackFormat.Instance };
        var ex = Assert.Throws<ArgumentException>(() => new SluiceEngine(new SluiceOptions { WireFormat = format, MaxBatchEvents = 1_001, MaxBatchBytes = 2_097_153 }, _transport));

        Assert.Equal("options", ex.ParamName);
        Assert.Contains($"MaxBatchEvents must be at most 1,000 with {name}Format (was 1001): its API accepts at most 1,000 events per request and answers 400 past that.", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"MaxBatchBytes must be at most 2,097,152 with {name}Format (was 2097153): its API accepts at most 2,097,152 bytes per request and answers 400 past that.", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("must be between", ex.Message, StringComparison.Ordinal); // one problem per setting

        // At the limits, the engine is made; a custom format (an API of its own) may take more.
        new SluiceEngine(new SluiceOptions { WireFormat = format, MaxBatchEvents = 1_000, MaxBatchBytes = 2_097_152 }, new InMemoryTransport()).Dispose();
        new SluiceEngine(new SluiceOptions { WireFormat = new Support.WrappedFormat(format), MaxBatchEvents = 5_000, MaxBatchBytes = 8_000_000 }, new InMemoryTransport()).Dispose();
    }

    [Theory]
    [InlineData("{")]
    [InlineData("[]")]
    [InlineData("\"event\"")]
    public void An_EnqueueJson_call_that_is_no_event_object_names_its_parameter(string json)
    {
        // Named "json" before, a parameter EnqueueJson does not have; an error in one field names the field (user_id, properties).
        var ex = Assert.Throws<ArgumentException>(() => _engine.EnqueueJson(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Equal("eventJson", ex.ParamName);
    }

    [Fact]
    public void A_wire_format_sending_a_kind_to_a_partition_it_does_not_have_is_refused_at_construction()
    {
        // A page sent to partition 1 of a one-partition format was accepted, then could be neither batched nor settled:
        // it stayed in flight for good, through flushes and the shutdown.
        var ex = Assert.Throws<ArgumentException>(() => new SluiceEngine(new SluiceOptions { WireFormat = new PartitionByKindFormat(partitions: 1) }, _transport));
        Assert.Equal("options", ex.ParamName);
        Assert.Contains("WireFormat.PartitionOf(Page) must be a partition from 0 to 0 (was 1).", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PartitionOf(Track)", ex.Message, StringComparison.Ordinal);

        var none = Assert.Throws<ArgumentException>(() => new SluiceEngine(new SluiceOptions { WireFormat = new PartitionByKindFormat(partitions: 0) }, _transport));
        Assert.Contains("WireFormat.PartitionCount must be at least 1 (was 0).", none.Message, StringComparison.Ordinal);
    }

    /// <summary>ThriveStack's shape with a settable partition count; each kind goes to the partition of its number.</summary>
    private sealed class PartitionByKindFormat(int partitions) : Support.WrappedFormat(ThriveStackFormat.Instance)
    {
        public override int PartitionCount => partitions;

        public override int PartitionOf(EventKind kind) => (int)kind;
    }

    private void Invoke(string call)
    {
        var e = _engine;
        switch (call)
        {
            case "track without user_id": e.Track(null!, "evt"); break;
            case "track with empty user_id": e.Track("", "evt"); break;
            case "track without event_name": e.Track("u", ""); break;
            case "page with both ids": e.Page("u", "s"); break;
            case "page with neither id": e.Page(null, null); break;
            case "NaN property": e.Track("u", "evt", new Dictionary<string, object?> { ["price"] = double.NaN }); break;
            case "infinite context value": e.Track("u", "evt", null, new Dictionary<string, object?> { ["load"] = float.PositiveInfinity }); break;
            case "unsupported property type": e.Track("u", "evt", new Dictionary<string, object?> { ["handle"] = new object() }); break;
            case "null dictionary key in nested map": e.Track("u", "evt", new Dictionary<string, object?> { ["m"] = new System.Collections.Hashtable { [1] = 2 } }); break;
            case "raw properties not an object": e.TrackJson("u", "evt", "[1,2]"u8); break;
            case "raw properties with trailing content": e.TrackJson("u", "evt", """{"a":1} {"b":2}"""u8); break;
            case "raw properties invalid JSON": e.TrackJson("u", "evt", """{"a":}"""u8); break;
            case "raw context invalid UTF-8": e.TrackJson("u", "evt", """{"a":1}"""u8, [(byte)'{', (byte)'"', 0xff, (byte)'"', (byte)':', (byte)'1', (byte)'}']); break;
            case "writer left an object open": e.Track("u", "evt", 0, static (ref PropertiesWriter w, int _) => w.WriteStartObject("open")); break;
            case "writer closed what it did not open": e.Track("u", "evt", 0, static (ref PropertiesWriter w, int _) => w.WriteEndArray()); break;
            case "keyed write inside an array": e.Track("u", "evt", 0, static (ref PropertiesWriter w, int _) => { w.WriteStartArray("a"); w.WriteString("k", "v"); }); break;
            case "element written outside an array": e.Track("u", "evt", 0, static (ref PropertiesWriter w, int _) => w.WriteStringValue("v")); break;
            case "nesting deeper than the limit": e.Track("u", "evt", 0, static (ref PropertiesWriter w, int _) => { for (int i = 0; i < 100; i++) w.WriteStartObject("n"); }); break;
            case "null key through the writer": e.Track("u", "evt", 0, static (ref PropertiesWriter w, int _) => w.WriteString(null!, "v")); break;
            case "nested context value after nested properties":
                e.Track("u", "evt", new Dictionary<string, object?> { ["plan"] = new Dictionary<string, object?> { ["tier"] = "pro" } },
                    new Dictionary<string, object?> { ["device"] = new Dictionary<string, object?> { ["model"] = "x", ["os"] = float.PositiveInfinity } });
                break;
            case "value in an object in an array":
                e.Track("u", "evt", new Dictionary<string, object?>
                {
                    ["items"] = new object?[] { new Dictionary<string, object?> { ["price"] = 1.5 }, new Dictionary<string, object?> { ["sizes"] = new[] { 1, 2 }, ["price"] = double.NaN } },
                });
                break;
            case "nested value through the writer":
                e.Track("u", "evt", 0, static (ref PropertiesWriter w, int _) =>
                {
                    w.WriteStartObject("cart");
                    w.WriteNumber("count", 2);
                    w.WriteNumber("total", double.NaN);
                });
                break;
            case "nested JsonElement out of range":
                e.Track("u", "evt", new Dictionary<string, object?> { ["meta"] = new Dictionary<string, object?> { ["raw"] = System.Text.Json.JsonDocument.Parse("1e999").RootElement } });
                break;
            case "keyed write inside a nested array":
                e.Track("u", "evt", 0, static (ref PropertiesWriter w, int _) =>
                {
                    w.WriteStartObject("order");
                    w.WriteStartArray("tags");
                    w.WriteStringValue("a");
                    w.WriteString("k", "v");
                });
                break;
            default: throw new InvalidOperationException(call);
        }
    }
}
