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

    [Fact]
    public async Task Only_top_level_names_of_an_event_context_override_a_default_whatever_it_nests_before_them()
    {
        var events = await SendAsync(ThriveStackFormat.Instance, Library, engine =>
        {
            engine.Track("u1", "dictionary", context: new Dictionary<string, object?>
            {
                ["nested"] = new Dictionary<string, object?> { ["library"] = 1 },
                ["tags"] = new object?[] { new Dictionary<string, object?> { ["channel"] = "x" }, new[] { 1 } },
                ["channel"] = "mobile",
            });
        });

        var context = Context(events, "dictionary");
        Assert.Equal(["library", "nested", "tags", "channel"], context.EnumerateObject().Select(p => p.Name));
        Assert.Equal("my-sdk", context.GetProperty("library").GetProperty("name").GetString());
        Assert.Equal("mobile", context.GetProperty("channel").GetString());
    }

    [Fact]
    public async Task A_raw_context_that_overrides_every_default_or_holds_only_whitespace_makes_valid_json()
    {
        var events = await SendAsync(ThriveStackFormat.Instance, Library, engine =>
        {
            engine.TrackJson("u1", "all", default, """{"channel":"web","library":{"name":"app"}}"""u8);
            engine.TrackJson("u2", "blank", default, "{ \t\r\n }"u8);
            engine.Track("u3", "every", context: new Dictionary<string, object?> { ["library"] = "x", ["channel"] = "y" });
        });

        Assert.Equal(["channel", "library"], Context(events, "all").EnumerateObject().Select(p => p.Name));
        Assert.Equal("web", Context(events, "all").GetProperty("channel").GetString());
        Assert.Equal(["library", "channel"], Context(events, "blank").EnumerateObject().Select(p => p.Name));
        Assert.Equal("server", Context(events, "blank").GetProperty("channel").GetString());
        Assert.Equal(["library", "channel"], Context(events, "every").EnumerateObject().Select(p => p.Name));
        Assert.Equal("x", Context(events, "every").GetProperty("library").GetString());
    }

    [Fact]
    public async Task An_event_with_an_empty_context_gets_exactly_the_defaults()
    {
        // No entry written: the event points into no arena chunk at all.
        var events = await SendAsync(ThriveStackFormat.Instance, Library, engine =>
        {
            engine.Track("u1", "empty", context: new Dictionary<string, object?>());
            engine.Track("u2", "both-empty", new Dictionary<string, object?>(), new Dictionary<string, object?>());
        });

        Assert.Equal(["library", "channel"], Context(events, "empty").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["library", "channel"], Context(events, "both-empty").EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void A_missing_default_context_is_refused_naming_the_argument()
        => Assert.Equal("json", Assert.Throws<ArgumentNullException>(() => DefaultContext.Parse(null!)).ParamName);

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

    [Fact]
    public void A_default_context_of_exactly_64_KB_is_accepted_and_one_byte_more_is_refused_with_both_sizes()
    {
        // {"a":"…"}: 8 bytes of JSON around the padding.
        string atLimit = "{\"a\":\"" + new string('x', DefaultContext.MaxBytes - 8) + "\"}";
        Assert.Equal(65_536, atLimit.Length);
        Assert.Null(DefaultContext.Problem(atLimit));
        Assert.Equal(atLimit.Length - 6, Assert.Single(DefaultContext.Parse(atLimit).Members).Value.Length);

        string over = "{\"a\":\"" + new string('x', DefaultContext.MaxBytes - 7) + "\"}";
        var ex = Assert.Throws<ArgumentException>(() => new SluiceEngine(new SluiceOptions { DefaultContext = over }, new InMemoryTransport()));
        Assert.Contains("DefaultContext must be at most 65,536 bytes of JSON (was 65,537).", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_default_context_counts_its_size_in_utf8_bytes_not_characters()
    {
        // 'é' is two bytes: 32,765 of them make 65,538 bytes in fewer than 33,000 characters.
        string json = "{\"a\":\"" + new string('\u00e9', 32_765) + "\"}";
        Assert.Equal("must be at most 65,536 bytes of JSON (was 65,538).", DefaultContext.Problem(json));
    }

    [Fact]
    public void A_default_context_of_64_members_is_accepted_and_one_more_is_refused_with_the_count()
    {
        static string Members(int n) => "{" + string.Join(",", Enumerable.Range(0, n).Select(i => $"\"m{i}\":{i}")) + "}";

        var defaults = DefaultContext.Parse(Members(DefaultContext.MaxMembers));
        Assert.Equal(64, defaults.Members.Length);
        Assert.Equal("m63", defaults.Members[^1].NameText);
        Assert.Equal("63", System.Text.Encoding.UTF8.GetString(defaults.Members[^1].Value));

        Assert.Equal("must have at most 64 members (had 65).", DefaultContext.Problem(Members(65)));
    }

    [Fact]
    public async Task A_lone_surrogate_escape_in_the_default_context_is_sent_as_U_FFFD_as_in_an_event_s_own_json()
    {
        // docs/input-rules.md: a lone surrogate "becomes U+FFFD, wherever it comes from"; "\ud800" is valid JSON grammar
        // but not text, and a receiver reading it with System.Text.Json refuses the whole batch. The defaults are written
        // into every event, so one such escape would have every batch refused. A pair is text and stays as given.
        var events = await SendAsync(ThriveStackFormat.Instance, """{"lone":"a\ud800b","pair":"\ud83d\ude00","\udc00":1}""", engine =>
        {
            engine.Track("u1", "none");
            engine.TrackJson("u2", "raw", default, """{"group_id":"g"}"""u8);
        });

        Assert.Equal(2, events.Count);
        foreach (var e in events)
        {
            var context = e.GetProperty("context");
            Assert.Equal("a\ufffdb", context.GetProperty("lone").GetString());
            Assert.Equal("\ud83d\ude00", context.GetProperty("pair").GetString());
            Assert.Equal(1, context.GetProperty("\ufffd").GetInt32());
        }
    }

    [Fact]
    public void A_default_context_nests_32_levels_as_an_event_s_context_and_the_33rd_is_refused()
    {
        // docs/input-rules.md: "properties and context nest at most 32 levels, counting their own object", because
        // receivers commonly stop at 64 and a body adds up to three. The defaults are the context of every event.
        static string Nest(int levels) => string.Concat(Enumerable.Repeat("{\"a\":", levels - 1)) + "{}" + new string('}', levels - 1);

        Assert.Null(DefaultContext.Problem(Nest(PropertiesWriter.MaxDepth)));
        var ex = Assert.Throws<ArgumentException>(() => new SluiceEngine(new SluiceOptions { DefaultContext = Nest(PropertiesWriter.MaxDepth + 1) }, new InMemoryTransport()));
        Assert.Contains("DefaultContext must nest at most 32 levels, its own object counted, as an event's context does (deeper at byte 160).", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_default_context_holding_a_number_beyond_a_double_is_refused_with_its_byte()
    {
        // docs/input-rules.md: numbers beyond a double's range are refused in an event's context; the defaults are part of every one.
        Assert.Null(DefaultContext.Problem("""{"max":1.7976931348623157e308}"""));
        var ex = Assert.Throws<ArgumentException>(() => new SluiceEngine(new SluiceOptions { DefaultContext = """{"a":[1,{"n":-1e400}]}""" }, new InMemoryTransport()));
        Assert.Contains("DefaultContext must hold numbers within the range of a double, as an event's context does (beyond it at byte 13).", ex.Message, StringComparison.Ordinal);
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
