using System.Buffers;
using Sluice.Serialization;
using System.Text;
using System.Text.Json;
using Sluice.Delivery.Transports;
using Sluice.Diagnostics;
using Sluice.Producing;
using Sluice.Tests.Support;

namespace Sluice.Tests.Producing;

/// <summary>
/// Inputs the fuzzer (fuzz/Sluice.Fuzz) made Sluice fail on, each named after what broke, and the
/// input rules they led to (fuzz/README.md, "Input rules").
/// </summary>
public class RawInputTests
{
    private static readonly DateTimeOffset Time = new(2024, 10, 20, 15, 51, 35, TimeSpan.Zero);

    // ---- What the fuzzer found ----

    [Fact]
    public async Task EnqueueJson_with_a_lone_surrogate_escape_in_user_id_sends_U_FFFD_instead_of_throwing()
    {
        // Found by ndjson-event: Utf8JsonReader.GetString threw InvalidOperationException out of EnqueueJson.
        var (events, _) = await SendAsync(e => e.EnqueueJson("""{"user_id":"\ud800x","event_name":"\udc00"}"""u8));
        var sent = Assert.Single(events);
        Assert.Equal("\uFFFDx", sent.GetProperty("user_id").GetString());
        Assert.Equal("\uFFFD", sent.GetProperty("event_name").GetString());
    }

    [Fact]
    public async Task EnqueueJson_cut_short_after_a_lone_surrogate_escape_is_refused_as_invalid_JSON()
    {
        // The minimised crash input: the reader hands out the string before it sees the end is missing.
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        var ex = Assert.Throws<ArgumentException>(() => engine.EnqueueJson("{\"user_id\":\"\\ud800\""u8));
        Assert.Contains("Not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnqueueJson_ignores_a_member_whose_name_has_a_lone_surrogate_escape()
    {
        // Found by ndjson-event: ValueTextEquals threw InvalidOperationException on the name "us\udd0e".
        var (events, _) = await SendAsync(e => e.EnqueueJson("""{"us\udd0e":1,"user_id":"u","event_name":"e"}"""u8));
        Assert.Equal("u", Assert.Single(events).GetProperty("user_id").GetString());

        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        Assert.Throws<ArgumentException>(() => engine.EnqueueJson("""{"":"","us\udd0e":"""u8));
    }

    [Fact]
    public async Task EnqueueJson_refuses_a_timestamp_with_a_lone_surrogate_escape_as_not_ISO_8601()
    {
        // Found by ndjson-event: TryGetDateTimeOffset threw InvalidOperationException.
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        var ex = Assert.Throws<ArgumentException>(() => engine.EnqueueJson("""{"user_id":"u","event_name":"e","timestamp":"0\udc005:5"}"""u8));
        Assert.Equal("timestamp", ex.ParamName);
        Assert.Contains("ISO 8601", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Raw_properties_with_lone_surrogate_escapes_reach_the_batch_as_U_FFFD()
    {
        // Found by ndjson-event and raw-json: "\udc00" was copied as is, so the batch held a string
        // no strict receiver can read. Pairs, and a backslash followed by "ud800" as text, are untouched.
        var raw = """{"hi":"\ud800","lo":"\uDC00x","pair":"\ud83d\ude00","\udbff":1,"text":"\\ud800"}"""u8.ToArray();
        var (events, batches) = await SendAsync(e => e.TrackJson("u", "e", raw, raw));
        BatchJson.AssertStrict(Assert.Single(batches));
        var sent = Assert.Single(events);
        Assert.Equal("""{"hi":"\ufffd","lo":"\ufffdx","pair":"\ud83d\ude00","\ufffd":1,"text":"\\ud800"}""", sent.GetProperty("properties").GetRawText());
        Assert.Equal(sent.GetProperty("properties").GetRawText(), sent.GetProperty("context").GetRawText());
        Assert.Equal("""{"hi":"\ud800","lo":"\uDC00x","pair":"\ud83d\ude00","\udbff":1,"text":"\\ud800"}""", Encoding.UTF8.GetString(raw)); // the caller's bytes are not touched
    }

    [Fact]
    public async Task An_event_read_whole_repairs_lone_surrogate_escapes_in_its_properties_and_its_context_each()
    {
        // EnqueueJson checks properties and context once, while it reads the event, and copies them
        // without a second reading: what that first reading finds must reach the copy, per member.
        var (events, batches) = await SendAsync(e =>
        {
            e.EnqueueJson("""{"user_id":"u","event_name":"e","properties":{"a":[{"b":"\ud800"}]},"context":{"c":"\\ud800"}}"""u8);
            e.EnqueueJson("""{"user_id":"u","event_name":"e","properties":{"c":"\\ud800"},"context":{"\udc00":{"d":1}}}"""u8);
        });
        BatchJson.AssertStrict(Assert.Single(batches));
        Assert.Equal(2, events.Count);
        Assert.Equal("""{"a":[{"b":"\ufffd"}]}""", events[0].GetProperty("properties").GetRawText());
        Assert.Equal("""{"c":"\\ud800"}""", events[0].GetProperty("context").GetRawText());
        Assert.Equal("""{"c":"\\ud800"}""", events[1].GetProperty("properties").GetRawText());
        Assert.Equal("""{"\ufffd":{"d":1}}""", events[1].GetProperty("context").GetRawText());
    }

    [Fact]
    public async Task A_page_with_an_empty_user_id_and_a_session_id_is_sent_by_session()
    {
        // Found by ndjson-event: validation took "" as absent but the wire format wrote "user_id":"".
        var (events, _) = await SendAsync(e =>
        {
            e.EnqueueJson("""{"user_id":"","session_id":"s1"}"""u8);
            e.Page("", "s2");
            e.Page("u3", "");
        }, partition: "/api/page");
        Assert.Equal(3, events.Count);
        Assert.Equal("s1", events[0].GetProperty("session_id").GetString());
        Assert.Equal("s2", events[1].GetProperty("session_id").GetString());
        Assert.Equal("u3", events[2].GetProperty("user_id").GetString());
        Assert.All(events, e => Assert.Equal(2, e.EnumerateObject().Count(p => p.Name is "user_id" or "session_id" or "timestamp")));
    }

    [Fact]
    public async Task A_long_page_name_does_not_make_a_page_oversize()
    {
        // Found by engine: the optional page name, which ThriveStack does not send, counted towards
        // the size that refuses an event before writing it.
        var (events, batches, counters) = await SendWithCountersAsync(e => e.Page("u", null, name: new string('n', 70_000)), maxBatchBytes: 1024);
        Assert.Equal(0, counters.RejectedOversize);
        Assert.Equal("u", Assert.Single(events).GetProperty("user_id").GetString());
        Assert.True(Assert.Single(batches).Body.Length <= 1024);
    }

    [Fact]
    public async Task A_JsonElement_container_one_level_past_the_limit_is_refused()
    {
        // Found by engine: an empty array given as a JsonElement at level 33 was accepted.
        using var doc = JsonDocument.Parse("[]");
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        Assert.Equal(EnqueueStatus.Accepted, engine.Track("u", "e", Chain(PropertiesWriter.MaxDepth - 2, doc.RootElement)));
        var ex = Assert.Throws<ArgumentException>(() => engine.Track("u", "e", Chain(PropertiesWriter.MaxDepth - 1, doc.RootElement)));
        Assert.Contains("nested deeper than 32 levels", ex.Message, StringComparison.Ordinal);
    }

    // ---- The rules ----

    [Fact]
    public async Task Properties_nest_32_levels_and_the_33rd_is_refused_with_a_clear_error_by_every_API()
    {
        Assert.Equal(32, PropertiesWriter.MaxDepth);
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());

        // The properties object is level 1: 31 nested objects inside it make 32 levels.
        Assert.Equal(EnqueueStatus.Accepted, engine.Track("u", "e", Chain(31, "x")));
        Assert.Equal(EnqueueStatus.Accepted, engine.Track("u", "e", 31, Nest));
        Assert.Equal(EnqueueStatus.Accepted, engine.TrackJson("u", "e", RawChain(31)));
        Assert.Equal(EnqueueStatus.Accepted, engine.EnqueueJson(Line(RawChain(31))));

        foreach (var call in new Action[]
        {
            () => engine.Track("u", "e", Chain(32, "x")),
            () => engine.Track("u", "e", 32, Nest),
            () => engine.TrackJson("u", "e", RawChain(32)),
            () => engine.EnqueueJson(Line(RawChain(32))),
        })
        {
            var ex = Assert.Throws<ArgumentException>(call);
            Assert.Equal("properties", ex.ParamName);
            Assert.Contains("nested deeper than 32 levels", ex.Message, StringComparison.Ordinal);
        }

        static void Nest(ref PropertiesWriter w, int levels)
        {
            for (int i = 0; i < levels; i++) w.WriteStartObject("k");
            for (int i = 0; i < levels; i++) w.WriteEndObject();
        }
    }

    [Fact]
    public async Task An_NDJSON_member_Sluice_does_not_know_nests_32_levels_and_the_33rd_is_refused()
    {
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        static byte[] LineWith(int levels) => Encoding.UTF8.GetBytes("{\"user_id\":\"u\",\"event_name\":\"e\",\"other\":" + new string('[', levels) + new string(']', levels) + "}");

        Assert.Equal(EnqueueStatus.Accepted, engine.EnqueueJson(LineWith(32)));
        var ex = Assert.Throws<ArgumentException>(() => engine.EnqueueJson(LineWith(33)));
        Assert.Contains("nested deeper than 32 levels (at byte 72)", ex.Message, StringComparison.Ordinal); // the 33rd bracket
    }

    [Fact]
    public async Task Ten_thousand_levels_of_nesting_are_refused_by_every_API()
    {
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        var cyclic = new Dictionary<string, object?>();
        cyclic["self"] = cyclic;
        var deepArrays = Encoding.UTF8.GetBytes("{\"a\":" + new string('[', 10_000) + new string(']', 10_000) + "}");

        Assert.Throws<ArgumentException>(() => engine.Track("u", "e", Chain(10_000, "x")));
        Assert.Throws<ArgumentException>(() => engine.Track("u", "e", cyclic));
        Assert.Throws<ArgumentException>(() => engine.TrackJson("u", "e", RawChain(10_000)));
        Assert.Throws<ArgumentException>(() => engine.TrackJson("u", "e", deepArrays));
        Assert.Throws<ArgumentException>(() => engine.EnqueueJson(Line(deepArrays)));
        Assert.Throws<ArgumentException>(() => engine.EnqueueJson(Encoding.UTF8.GetBytes("{\"user_id\":\"u\",\"event_name\":\"e\",\"other\":" + new string('[', 10_000) + new string(']', 10_000) + "}")));
        Assert.Equal(EnqueueStatus.Accepted, engine.Track("u", "still accepting"));
    }

    [Fact]
    public async Task Lone_surrogates_and_control_characters_in_strings_and_keys_are_escaped_or_replaced()
    {
        var (events, batches) = await SendAsync(e => e.Track("u\uD800", "e\u0001", new Dictionary<string, object?>
        {
            ["lone\uDC00"] = "x\uD800y",
            ["control\n"] = "\u0000\u001f\u007f",
            ["pair"] = "😀",
        }));
        BatchJson.AssertStrict(Assert.Single(batches));
        var sent = Assert.Single(events);
        Assert.Equal("u\uFFFD", sent.GetProperty("user_id").GetString());
        Assert.Equal("e\u0001", sent.GetProperty("event_name").GetString());
        var properties = sent.GetProperty("properties");
        Assert.Equal("x\uFFFDy", properties.GetProperty("lone\uFFFD").GetString());
        Assert.Equal("\u0000\u001f\u007f", properties.GetProperty("control\n").GetString());
        Assert.Equal("😀", properties.GetProperty("pair").GetString());
        Assert.DoesNotContain(Assert.Single(batches).Body, b => b < 0x20); // control characters never appear raw
    }

    [Fact]
    public async Task Duplicate_property_keys_are_sent_as_given_but_a_duplicate_event_field_is_refused()
    {
        var (_, batches) = await SendAsync(e =>
        {
            e.Track("u", "e", 0, static (ref PropertiesWriter w, int _) =>
            {
                w.WriteNumber("a", 1);
                w.WriteNumber("a", 2);
            });
            e.TrackJson("u", "e", """{"b":1,"b":2}"""u8);
        });
        string body = Encoding.UTF8.GetString(Assert.Single(batches).Body);
        Assert.Contains("""{"a":1,"a":2}""", body, StringComparison.Ordinal);
        Assert.Contains("""{"b":1,"b":2}""", body, StringComparison.Ordinal);

        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        var ex = Assert.Throws<ArgumentException>(() => engine.EnqueueJson("""{"user_id":"victim","event_name":"e","user_id":"other"}"""u8));
        Assert.Equal("user_id", ex.ParamName);
    }

    [Fact]
    public async Task A_JsonElement_that_is_not_strict_JSON_is_refused()
    {
        var lenient = new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };
        using var comments = JsonDocument.Parse("{/* note */\"a\":1}", lenient);
        using var trailing = JsonDocument.Parse("[1,2,]", lenient);
        using var badUtf8 = JsonDocument.Parse((byte[])[(byte)'"', 0xC3, (byte)'"']);
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        foreach (var element in new[] { comments.RootElement, trailing.RootElement, badUtf8.RootElement })
        {
            var ex = Assert.Throws<ArgumentException>(() => engine.Track("u", "e", new Dictionary<string, object?> { ["j"] = element }));
            Assert.Equal("properties", ex.ParamName);
            Assert.Contains("properties.j", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_number_beyond_a_doubles_range_in_raw_JSON_is_refused_at_the_call_naming_the_field()
    {
        // Found: 1e400 went out as written; System.Text.Json reads it as infinity and Go's decoder refuses it, so a
        // strict server refused every batch holding such an event, with the other events of the batch.
        using var element = JsonDocument.Parse("[1, 2e999]");
        byte[] longDigits = Encoding.UTF8.GetBytes("{\"user_id\":\"u\",\"event_name\":\"e\",\"properties\":{\"n\":1" + new string('0', 400) + "}}");
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        var refusals = new (string Field, Action Call)[]
        {
            ("properties", () => engine.TrackJson("u", "e", """{"n":1e400}"""u8)),
            ("context", () => engine.PageJson(null, "s", default, """{"a":[{"n":-1E+309}]}"""u8)),
            ("properties", () => engine.Track("u", "e", new Dictionary<string, object?> { ["j"] = element.RootElement })),
            ("properties", () => engine.Track("u", "e", new Dictionary<string, object?> { ["j"] = element.RootElement[1] })),
            ("properties", () => engine.EnqueueJson(longDigits)),
            ("context", () => engine.EnqueueJson("""{"user_id":"u","event_name":"e","context":{"n":[1e400]}}"""u8)),
        };
        foreach (var (field, call) in refusals)
        {
            var ex = Assert.Throws<ArgumentException>(call);
            Assert.Equal(field, ex.ParamName);
            Assert.Contains("a number beyond the range of a double", ex.Message, StringComparison.Ordinal);
        }

        Assert.Equal(0, engine.GetCounters().Accepted);
        var options = Assert.ThrowsAny<ArgumentException>(() => new SluiceEngine(new SluiceOptions { DefaultContext = """{"n":1e400}""" }, new InMemoryTransport()));
        Assert.Contains("numbers within the range of a double", options.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Numbers_at_the_edges_of_a_doubles_range_in_raw_JSON_are_sent_as_written()
    {
        const string Edges = """{"max":1.7976931348623157e308,"min":-1.7976931348623157E+308,"tiny":4.9e-324,"under":1e-400,"long":-9223372036854775808,"big":18446744073709551616}""";
        var (events, _) = await SendAsync(e => e.TrackJson("u", "e", Encoding.UTF8.GetBytes(Edges)));
        Assert.Equal(Edges, Assert.Single(events).GetProperty("properties").GetRawText());
    }

    [Fact]
    public async Task Raw_properties_larger_than_a_batch_are_counted_oversize_without_being_copied()
    {
        var huge = Encoding.UTF8.GetBytes("{\"big\":\"" + new string('x', 3 << 20) + "\"}");
        var transport = new InMemoryTransport();
        long allocated;
        SluiceCounters counters;
        await using (var engine = new SluiceEngine(new SluiceOptions { MaxBatchBytes = 64 * 1024 }, transport))
        {
            engine.Track("u", "warm up the arena", new Dictionary<string, object?> { ["k"] = 1 });
            long before = GC.GetAllocatedBytesForCurrentThread();
            Assert.Equal(EnqueueStatus.Accepted, engine.TrackJson("u", "e", huge));
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            await engine.FlushAsync();
            counters = engine.GetCounters();
        }

        Assert.True(allocated < 64 * 1024, $"TrackJson allocated {allocated:N0} bytes for an event it cannot send.");
        Assert.Equal(1, counters.RejectedOversize);
        Assert.Equal(1, counters.Delivered);
        Assert.DoesNotContain(transport.Batches, b => b.Body.Length > 64 * 1024);
    }

    [Fact]
    public void The_size_bound_used_to_refuse_an_event_early_never_exceeds_what_is_written()
    {
        var state = new ProducerState(new object(), new ArenaPool(1), int.MaxValue);
        foreach (var shape in new Func<int>[]
        {
            () => Bound(state, static (ref PropertiesWriter w) => { }),
            () => Bound(state, static (ref PropertiesWriter w) => w.WriteString("k", "v")),
            () => Bound(state, static (ref PropertiesWriter w) => { w.WriteStartArray("a"); w.WriteStringValue("x"); w.WriteEndArray(); }),
            () => Bound(state, static (ref PropertiesWriter w) =>
            {
                w.WriteStartArray("a");
                for (int i = 0; i < 5; i++) w.WriteStartArray();
                w.WriteStringValue("x");
                for (int i = 0; i < 5; i++) w.WriteEndArray();
                w.WriteEndArray();
                w.WriteStartObject("o");
                w.WriteStartObject("p");
                w.WriteEndObject();
                w.WriteEndObject();
            }),
        })
        {
            Assert.True(shape() <= 0);
        }
    }

    private delegate void Build(ref PropertiesWriter writer);

    /// <summary>The bound minus the size the engine writes for the same object: never positive.</summary>
    private static int Bound(ProducerState state, Build build)
    {
        state.BeginEvent();
        var writer = new PropertiesWriter(state, "properties");
        build(ref writer);
        writer.Complete();
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, EventWriter.WriterOptions))
        {
            // The object's braces are the serializer's, not entries (see EventView).
            json.WriteStartObject();
            if (state.Pos > state.EventStart)
                PropertyJson.Write(json, state.Chunk!, state.EventStart, state.Pos - state.EventStart, new PropertyNameCache(EventWriter.WriterOptions.Encoder!), 0);
            json.WriteEndObject();
        }

        return (int)(writer.MinBytes - buffer.WrittenCount);
    }

    private static Dictionary<string, object?> Chain(int nested, object bottom)
    {
        object inner = bottom;
        for (int i = 0; i < nested; i++)
            inner = new Dictionary<string, object?> { ["k"] = inner };
        return new Dictionary<string, object?> { ["top"] = inner };
    }

    /// <summary>A raw properties object with <paramref name="nested"/> objects nested inside it.</summary>
    private static byte[] RawChain(int nested)
        => Encoding.UTF8.GetBytes("{" + string.Concat(Enumerable.Repeat("\"k\":{", nested)) + new string('}', nested) + "}");

    private static byte[] Line(byte[] properties)
        => [.. """{"user_id":"u","event_name":"e","properties":"""u8, .. properties, (byte)'}'];

    private static async Task<(List<JsonElement> Events, IReadOnlyList<ReceivedBatch> Batches)> SendAsync(Action<SluiceEngine> calls, string partition = "/api/track")
    {
        var (events, batches, _) = await SendWithCountersAsync(calls, partition: partition);
        return (events, batches);
    }

    private static async Task<(List<JsonElement> Events, IReadOnlyList<ReceivedBatch> Batches, SluiceCounters Counters)> SendWithCountersAsync(
        Action<SluiceEngine> calls, int maxBatchBytes = 2 * 1024 * 1024, string? partition = null)
    {
        var transport = new InMemoryTransport();
        ShutdownResult result;
        await using (var engine = new SluiceEngine(new SluiceOptions { MaxBatchBytes = maxBatchBytes, TimeProvider = new ManualTimeProvider(Time) }, transport))
        {
            calls(engine);
            result = await engine.ShutdownAsync();
        }

        var batches = transport.Batches.Where(b => partition is null || b.EndpointPath == partition).ToList();
        return ([.. batches.SelectMany(BatchJson.Events)], batches, result.Counters);
    }
}
