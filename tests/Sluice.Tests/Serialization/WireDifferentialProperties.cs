using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Sluice.Collector;
using Sluice.Delivery.Transports;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Serialization;

/// <summary>
/// Random events through the real engine, for each wire format and each way of giving an event (dictionaries, callbacks,
/// pre-serialized JSON, whole JSON events, NDJSON lines): every batch is strict JSON within the limits and accepted by the reference
/// collector, and each event read back with <see cref="JsonDocument"/> has exactly the fields of its spec, each equal to a
/// model built from the inputs alone (strings with lone surrogates as U+FFFD, timestamps in UTC to the microsecond, numbers
/// reading back the same value, the default context merged in). The model writes its own JSON for the raw routes and the
/// default context: nothing of Sluice's writing is reused.
/// </summary>
public partial class WireDifferentialProperties : IAsyncLifetime
{
    private const string ClientId = "test-client-id";
    private static readonly DateTimeOffset Now = new(2024, 10, 20, 15, 51, 35, TimeSpan.Zero);
    private static readonly Regex Iso = new(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$", RegexOptions.CultureInvariant);
    private static readonly Regex Uuid4 = new("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", RegexOptions.CultureInvariant);

    private ReferenceCollector _collector = null!;

    /// <summary>How the caller gives the event.</summary>
    private enum Route
    {
        Dictionary,
        Callback,
        RawJson,
        EventJson,

        /// <summary>The whole JSON event as one NDJSON line through IngestAsync (ids found again through its cache).</summary>
        Ingest,
    }

    public async Task InitializeAsync() => _collector = await ReferenceCollector.StartAsync();

    public async Task DisposeAsync() => await _collector.DisposeAsync();

    [Fact]
    public void ThriveStack_events_arrive_as_given() =>
        Prop.ForAll(Arb.From(Cases(segment: false)), c => Run(c, ThriveStackFormat.Instance)).QuickCheckThrowOnFailure();

    [Fact]
    public void Segment_events_arrive_as_given() =>
        Prop.ForAll(Arb.From(Cases(segment: true)), c => Run(c, new SegmentFormat())).QuickCheckThrowOnFailure();

    [Fact]
    public void PrimeData_events_arrive_as_given() =>
        Prop.ForAll(Arb.From(Cases(segment: false)), c => Run(c, new PrimeDataFormat(ClientId))).QuickCheckThrowOnFailure();

    private void Run(Case c, WireFormat format)
    {
        var transport = new InMemoryTransport();
        var options = new SluiceOptions
        {
            WireFormat = format,
            MaxBatchEvents = c.MaxEvents,
            TimeProvider = new ManualTimeProvider(Now),
            FullMode = FullMode.Wait,
            FullModeWaitTimeout = TimeSpan.FromSeconds(30),
            DefaultContext = c.Defaults is null ? null : Json(c.Defaults),
        };
        var engine = new SluiceEngine(options, transport);
        foreach (var e in c.Events)
            Assert.Equal(EnqueueStatus.Accepted, Send(engine, e));
        var counters = engine.ShutdownAsync().GetAwaiter().GetResult().Counters;

        Assert.Equal(c.Events.Length, counters.Delivered);
        var actual = new Dictionary<string, Queue<JsonElement>>();
        foreach (var batch in transport.Batches.OrderBy(b => b.Sequence))
        {
            Assert.True(batch.EventCount <= c.MaxEvents && batch.Body.Length <= options.MaxBatchBytes, $"Batch {batch.Sequence}: {batch.EventCount} events, {batch.Body.Length} bytes.");
            BatchJson.AssertStrict(batch);
            using var doc = JsonDocument.Parse(batch.Body);
            AssertFiniteNumbers(batch.Body);
            var events = Envelope(format, doc.RootElement);
            Assert.Equal(batch.EventCount, events.GetArrayLength());
            var queue = actual.TryGetValue(batch.EndpointPath, out var q) ? q : actual[batch.EndpointPath] = new Queue<JsonElement>();
            foreach (var e in events.EnumerateArray())
                queue.Enqueue(e.Clone());
            PostToCollector(format, batch);
        }

        var messageIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in c.Events)
        {
            string endpoint = Endpoint(format, e);
            Assert.True(actual.TryGetValue(endpoint, out var queue) && queue.Count > 0, $"No event left on {endpoint} for {e}.");
            var element = queue.Dequeue();
            try
            {
                AssertEvent(format, e, ExpectedContext(e, c.Defaults), element, messageIds);
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"Event {e} arrived as {element.GetRawText()}: {ex.Message}", ex);
            }
        }

        Assert.All(actual.Values, q => Assert.Empty(q));
    }

    // ---- The model: what each spec says the event must be ----

    private static string Endpoint(WireFormat format, Event e) => format switch
    {
        ThriveStackFormat => e.Page ? "/api/page" : "/api/track",
        SegmentFormat => "/v1/batch",
        _ => "/powehi/smile",
    };

    private static JsonElement Envelope(WireFormat format, JsonElement root)
    {
        switch (format)
        {
            case ThriveStackFormat:
                return root;
            case SegmentFormat:
                Assert.Equal(["batch", "sentAt"], root.EnumerateObject().Select(m => m.Name));
                Assert.Equal(Stamp(Now), root.GetProperty("sentAt").GetString());
                return root.GetProperty("batch");
            default:
                Assert.Equal(["events"], root.EnumerateObject().Select(m => m.Name));
                return root.GetProperty("events");
        }
    }

    /// <summary>The event's context with <see cref="SluiceOptions.DefaultContext"/> merged in: the defaults it does not name, then its own members.</summary>
    private static V? ExpectedContext(Event e, V.Obj? defaults)
    {
        if (defaults is null)
            return e.Context;
        var own = (V.Obj?)e.Context;
        var named = own?.Members.Select(m => m.Key).ToHashSet(StringComparer.Ordinal) ?? [];
        return new V.Obj([.. defaults.Members.Where(m => !named.Contains(m.Key)), .. own?.Members ?? []]);
    }

    private static void AssertEvent(WireFormat format, Event e, V? context, JsonElement actual, HashSet<string> messageIds)
    {
        var expected = new List<(string Name, Action<JsonElement> Check)>();
        void Field(string name, Action<JsonElement> check) => expected.Add((name, check));
        void Text(string name, string value) => Field(name, a => Assert.Equal(Repair(value), a.GetString()));
        string timestamp = Stamp(e.Timestamp ?? Now);

        switch (format)
        {
            case ThriveStackFormat:
                // Spec 001: user_id, event_name, timestamp, properties?, context?; spec 000: user_id XOR session_id, timestamp, properties?, context?.
                Text(e.UserId is null ? "session_id" : "user_id", e.UserId ?? e.SessionId!);
                if (!e.Page)
                    Text("event_name", e.Name!);
                Field("timestamp", a => Assert.Equal(timestamp, a.GetString()));
                if (e.Properties is { } p)
                    Field("properties", a => AssertValue(p, a, "properties"));
                if (context is { } x)
                    Field("context", a => AssertValue(x, a, "context"));
                break;
            case SegmentFormat:
                // Spec 003 and the batch shape: type, userId or anonymousId, event (track) or name (page, Required), properties?, context?, timestamp, messageId.
                Field("type", a => Assert.Equal(e.Page ? "page" : "track", a.GetString()));
                Text(e.UserId is null ? "anonymousId" : "userId", e.UserId ?? e.SessionId!);
                Text(e.Page ? "name" : "event", e.Name!);
                if (e.Properties is { } sp)
                    Field("properties", a => AssertValue(sp, a, "properties"));
                if (context is { } sx)
                    Field("context", a => AssertValue(sx, a, "context"));
                Field("timestamp", a => Assert.Equal(timestamp, a.GetString()));
                Field("messageId", a =>
                {
                    Assert.Matches(Uuid4, a.GetString());
                    Assert.True(messageIds.Add(a.GetString()!), "A messageId is used twice.");
                });
                break;
            default:
                // Spec 004: eventType, sessionId, scope (= X-Client-Id), timeStamp, properties, target (a named page); no context.
                Text("eventType", e.Page ? "view" : e.Name!);
                Text("sessionId", e.SessionId ?? e.UserId!);
                Field("scope", a => Assert.Equal(ClientId, a.GetString()));
                Field("timeStamp", a => Assert.Equal(timestamp, a.GetString()));
                Field("properties", a => AssertValue(e.Properties ?? new V.Obj([]), a, "properties"));
                if (e.Page && !string.IsNullOrEmpty(e.Name))
                {
                    Field("target", a =>
                    {
                        Assert.Equal(["itemId", "itemType"], a.EnumerateObject().Select(m => m.Name));
                        Assert.Equal(Repair(e.Name), a.GetProperty("itemId").GetString());
                        Assert.Equal("page", a.GetProperty("itemType").GetString());
                    });
                }

                break;
        }

        Assert.Equal(JsonValueKind.Object, actual.ValueKind);
        Assert.Equal(expected.Select(f => f.Name).Order(StringComparer.Ordinal), actual.EnumerateObject().Select(m => m.Name).Order(StringComparer.Ordinal));
        foreach (var (name, check) in expected)
            check(actual.GetProperty(name));
        Assert.Matches(Iso, timestamp);
    }

    private static void AssertValue(V expected, JsonElement actual, string path)
    {
        switch (expected)
        {
            case V.Str s:
                Assert.True(actual.ValueKind == JsonValueKind.String, path);
                Assert.Equal(Repair(s.Value), actual.GetString());
                break;
            case V.Long l:
                Assert.True(actual.TryGetInt64(out long lv) && lv == l.Value, $"{path}: {actual.GetRawText()} is not {l.Value}");
                break;
            case V.ULong u:
                Assert.True(actual.TryGetUInt64(out ulong uv) && uv == u.Value, $"{path}: {actual.GetRawText()} is not {u.Value}");
                break;
            case V.Double d:
                Assert.True(actual.TryGetDouble(out double dv) && dv.Equals(d.Value), $"{path}: {actual.GetRawText()} is not {d.Value:R}");
                break;
            case V.Float f:
                Assert.True(actual.ValueKind == JsonValueKind.Number && float.Parse(actual.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture).Equals(f.Value), $"{path}: {actual.GetRawText()} is not {f.Value:R}f");
                break;
            case V.Decimal m:
                Assert.True(actual.TryGetDecimal(out decimal mv) && mv == m.Value, $"{path}: {actual.GetRawText()} is not {m.Value}m");
                break;
            case V.Bool b:
                Assert.Equal(b.Value ? JsonValueKind.True : JsonValueKind.False, actual.ValueKind);
                break;
            case V.Null:
                Assert.Equal(JsonValueKind.Null, actual.ValueKind);
                break;
            case V.Time t:
                Assert.Equal(Stamp(t.Value), actual.GetString());
                break;
            case V.Raw r:
                AssertValue(r.Inner, actual, path);
                break;
            case V.Obj o:
                Assert.True(actual.ValueKind == JsonValueKind.Object, path);
                var members = actual.EnumerateObject().ToList();
                Assert.Equal(o.Members.Select(m => Repair(m.Key)), members.Select(m => m.Name));
                for (int i = 0; i < members.Count; i++)
                    AssertValue(o.Members[i].Value, members[i].Value, path + "." + members[i].Name);
                break;
            case V.Arr a:
                Assert.True(actual.ValueKind == JsonValueKind.Array, path);
                Assert.Equal(a.Items.Count, actual.GetArrayLength());
                int index = 0;
                foreach (var item in actual.EnumerateArray())
                {
                    AssertValue(a.Items[index], item, $"{path}[{index}]");
                    index++;
                }

                break;
        }
    }

    /// <summary>The text a strict reader gets from a .NET string: each surrogate without its pair as U+FFFD.</summary>
    private static string Repair(string s)
    {
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(s[i]).Append(s[i + 1]);
                i++;
            }
            else
            {
                sb.Append(char.IsSurrogate(s[i]) ? '\uFFFD' : s[i]);
            }
        }

        return sb.ToString();
    }

    /// <summary>UTC ISO 8601, the microseconds of the instant (truncated), and <c>Z</c>.</summary>
    private static string Stamp(DateTimeOffset t)
    {
        long ticks = t.UtcTicks;
        return new DateTime(ticks - (ticks % 10), DateTimeKind.Utc).ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'", CultureInfo.InvariantCulture);
    }

    private static void AssertFiniteNumbers(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.Number)
                Assert.True(reader.TryGetDouble(out double d) && double.IsFinite(d), $"The number {Encoding.UTF8.GetString(reader.ValueSpan)} is beyond a double.");
        }
    }

    private void PostToCollector(WireFormat format, ReceivedBatch batch)
    {
        var api = format switch
        {
            ThriveStackFormat => batch.EndpointPath == "/api/page" ? CollectorApi.ThriveStackPage : CollectorApi.ThriveStackTrack,
            SegmentFormat => CollectorApi.Segment,
            _ => CollectorApi.PrimeData,
        };
        using var request = CollectorRequests.Request(_collector, api, "[]");
        request.Content = new ByteArrayContent(batch.Body);
        request.Content.Headers.ContentType = new("application/json");
        var (status, reply, _) = CollectorRequests.SendAsync(request).GetAwaiter().GetResult();
        Assert.True(status == 200, $"The collector answered {status}: {reply}");
    }

    // ---- The calls ----

    /// <summary>Gives <paramref name="e"/> through its route; a refused NDJSON line is thrown as the <see cref="ArgumentException"/> the other calls throw.</summary>
    private static EnqueueStatus Send(SluiceEngine engine, Event e)
    {
        if (e.Route == Route.Ingest)
        {
            var errors = new List<IngestError>();
            var summary = engine.IngestAsync(new MemoryStream(Encoding.UTF8.GetBytes(EventText(e) + "\n")), errors.Add).GetAwaiter().GetResult();
            if (errors is [{ Reason: IngestRefusal.Invalid } invalid])
                throw new ArgumentException(invalid.Message);
            Assert.Equal(1, summary.LinesRead);
            return errors is [var other] ? (other.Reason == IngestRefusal.QueueFull ? EnqueueStatus.QueueFull : EnqueueStatus.ShuttingDown) : EnqueueStatus.Accepted;
        }

        var documents = new List<JsonDocument>();
        try
        {
            var result = e.Route switch
            {
                Route.Dictionary when e.Page => engine.Page(e.UserId, e.SessionId, Map(e.Properties, documents), Map(e.Context, documents), e.Timestamp, e.Name),
                Route.Dictionary => engine.Track(e.UserId!, e.Name!, Map(e.Properties, documents), Map(e.Context, documents), e.Timestamp),
                Route.Callback when e.Page => engine.Page(e.UserId, e.SessionId, e, e.Properties is null ? null : WriteProperties, e.Context is null ? null : WriteContext, e.Timestamp, e.Name),
                Route.Callback => engine.Track(e.UserId!, e.Name!, e, e.Properties is null ? null : WriteProperties, e.Context is null ? null : WriteContext, e.Timestamp),
                Route.RawJson when e.Page => engine.PageJson(e.UserId, e.SessionId, Utf8(e.Properties), Utf8(e.Context), e.Timestamp, e.Name),
                Route.RawJson => engine.TrackJson(e.UserId!, e.Name!, Utf8(e.Properties), Utf8(e.Context), e.Timestamp),
                _ => engine.EnqueueJson(Encoding.UTF8.GetBytes(EventText(e))),
            };
            return result.Status;
        }
        finally
        {
            foreach (var d in documents)
                d.Dispose();
        }
    }

    private static void WriteProperties(ref PropertiesWriter w, Event e) => WriteMembers(ref w, (V.Obj)e.Properties!);

    private static void WriteContext(ref PropertiesWriter w, Event e) => WriteMembers(ref w, (V.Obj)e.Context!);

    private static void WriteMembers(ref PropertiesWriter w, V.Obj o)
    {
        foreach (var (key, value) in o.Members)
            Write(ref w, key, value);
    }

    /// <summary>A value through the callback API: keyed, or an array element when <paramref name="key"/> is null.</summary>
    private static void Write(ref PropertiesWriter w, string? key, V v)
    {
        switch (v)
        {
            case V.Str s when key is null: w.WriteStringValue(s.Value); break;
            case V.Str s: w.WriteString(key, s.Value); break;
            case V.Long l when key is null: w.WriteNumberValue(l.Value); break;
            case V.Long l: w.WriteNumber(key, l.Value); break;
            case V.Double d when key is null: w.WriteNumberValue(d.Value); break;
            case V.Double d: w.WriteNumber(key, d.Value); break;
            case V.Float f when key is null: w.WriteNumberValue(f.Value); break;
            case V.Float f: w.WriteNumber(key, f.Value); break;
            case V.Bool b when key is null: w.WriteBooleanValue(b.Value); break;
            case V.Bool b: w.WriteBoolean(key, b.Value); break;
            case V.Null when key is null: w.WriteNullValue(); break;
            case V.Null: w.WriteNull(key); break;
            case V.Time t when key is not null: w.WriteString(key, t.Value); break;
            case V.Obj o:
                if (key is null) w.WriteStartObject();
                else w.WriteStartObject(key);
                WriteMembers(ref w, o);
                w.WriteEndObject();
                break;
            case V.Arr a:
                if (key is null) w.WriteStartArray();
                else w.WriteStartArray(key);
                foreach (var item in a.Items)
                    Write(ref w, null, item);
                w.WriteEndArray();
                break;
            default:
                throw new InvalidOperationException($"{v} has no callback method (the generator should not make it for this route).");
        }
    }

    private static Dictionary<string, object?>? Map(V? v, List<JsonDocument> documents) => v is null ? null : (Dictionary<string, object?>)Clr(v, documents)!;

    private static object? Clr(V v, List<JsonDocument> documents) => v switch
    {
        V.Str s => s.Value,
        V.Long l => l.Value,
        V.ULong u => u.Value,
        V.Double d => d.Value,
        V.Float f => f.Value,
        V.Decimal m => m.Value,
        V.Bool b => b.Value,
        V.Null => null,
        V.Time t => t.Value,
        V.Raw r => Parsed(Json(r.Inner), documents),
        V.Obj o => o.Members.ToDictionary(m => m.Key, m => Clr(m.Value, documents), StringComparer.Ordinal),
        V.Arr a => a.Items.Select(i => Clr(i, documents)).ToList(),
        _ => throw new InvalidOperationException(v.ToString()),
    };

    private static JsonElement Parsed(string json, List<JsonDocument> documents)
    {
        var doc = JsonDocument.Parse(json);
        documents.Add(doc);
        return doc.RootElement;
    }

    private static byte[] Utf8(V? v) => v is null ? [] : Encoding.UTF8.GetBytes(Json(v));

    /// <summary>The whole event in the ThriveStack shape that <see cref="SluiceEngine.EnqueueJson(ReadOnlySpan{byte})"/> reads.</summary>
    private static string EventText(Event e)
    {
        var members = new List<string>();
        if (e.UserId is not null) members.Add("\"user_id\":" + Quote(e.UserId));
        if (e.SessionId is not null) members.Add("\"session_id\":" + Quote(e.SessionId));
        if (e.Name is not null) members.Add((e.Page ? "\"name\":" : "\"event_name\":") + Quote(e.Name));
        if (e.Timestamp is { } t) members.Add("\"timestamp\":" + Quote(t.ToString("O", CultureInfo.InvariantCulture)));
        if (e.Properties is not null) members.Add("\"properties\":" + Json(e.Properties));
        if (e.Context is not null) members.Add("\"context\":" + Json(e.Context));
        return "{" + string.Join(",", members) + "}";
    }

    /// <summary>The model's own JSON writer: RFC 8259 with the fewest escapes; a surrogate without its pair as a <c>\uXXXX</c> escape.</summary>
    private static string Json(V v) => v switch
    {
        V.Str s => Quote(s.Value),
        V.Long l => l.Value.ToString(CultureInfo.InvariantCulture),
        V.ULong u => u.Value.ToString(CultureInfo.InvariantCulture),
        V.Double d => d.Value.ToString("R", CultureInfo.InvariantCulture),
        V.Float f => f.Value.ToString("R", CultureInfo.InvariantCulture),
        V.Decimal m => m.Value.ToString(CultureInfo.InvariantCulture),
        V.Bool b => b.Value ? "true" : "false",
        V.Null => "null",
        V.Time t => Quote(Stamp(t.Value)),
        V.Raw r => Json(r.Inner),
        V.Obj o => "{" + string.Join(",", o.Members.Select(m => Quote(m.Key) + ":" + Json(m.Value))) + "}",
        V.Arr a => "[" + string.Join(",", a.Items.Select(Json)) + "]",
        _ => throw new InvalidOperationException(v.ToString()),
    };

    private static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(c).Append(s[++i]);
                continue;
            }

            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case < ' ':
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    if (char.IsSurrogate(c))
                        sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    else
                        sb.Append(c);
                    break;
            }
        }

        return sb.Append('"').ToString();
    }

    // ---- The generators ----

    /// <summary>A value of properties or context, as the model knows it.</summary>
    private abstract record V
    {
        public sealed record Str(string Value) : V;

        public sealed record Long(long Value) : V;

        public sealed record ULong(ulong Value) : V;

        public sealed record Double(double Value) : V;

        public sealed record Float(float Value) : V;

        public sealed record Decimal(decimal Value) : V;

        public sealed record Bool(bool Value) : V;

        public sealed record Null : V;

        public sealed record Time(DateTimeOffset Value) : V;

        /// <summary>A <see cref="JsonElement"/> value (dictionaries only): the inner value's JSON, parsed.</summary>
        public sealed record Raw(V Inner) : V;

        public sealed record Obj(List<(string Key, V Value)> Members) : V
        {
            public override string ToString() => Shown(Json(this));
        }

        public sealed record Arr(List<V> Items) : V
        {
            public override string ToString() => Shown(Json(this));
        }

        private static string Shown(string json) => json.Length > 400 ? json[..400] + $"…({json.Length})" : json;
    }

    private sealed record Event(Route Route, bool Page, string? UserId, string? SessionId, string? Name, DateTimeOffset? Timestamp, V? Properties, V? Context)
    {
        public override string ToString() =>
            $"{Route} {(Page ? "page" : "track")} user={Show(UserId)} session={Show(SessionId)} name={Show(Name)} at={Timestamp:O} properties={Properties} context={Context}";

        private static string Show(string? s) => s is null ? "null" : s.Length > 80 ? Quote(s[..80]) + $"…({s.Length})" : Quote(s);
    }

    private sealed record Case(int MaxEvents, V.Obj? Defaults, Event[] Events)
    {
        public override string ToString() => $"MaxEvents={MaxEvents} DefaultContext={Defaults}{Environment.NewLine}" + string.Join(Environment.NewLine, Events.Select(e => "  " + e));
    }

    // Context names a default context may have, which events' own contexts sometimes use too (overriding the default).
    private static readonly string[] CommonNames = ["library", "channel", "ip"];

    private static Gen<Case> Cases(bool segment) =>
        from maxEvents in Gen.Choose(1, 12)
        from defaults in Gen.Frequency(
            (2, Gen.Constant<V.Obj?>(null)),
            (1, Defaults()))
        from count in Gen.Choose(1, 24)
        from events in Gen.ArrayOf(Events(segment), count)
        select new Case(maxEvents, defaults, events);

    /// <summary>A default context within its documented size, of names events' contexts sometimes have too.</summary>
    private static Gen<V.Obj?> Defaults()
    {
        var any = from names in Gen.SubListOf(CommonNames)
                  from values in Gen.ArrayOf(Any(Route.RawJson, level: 2, size: 2), names.Count)
                  select new V.Obj([.. names.Zip(values)]);
        return any.Where(d => Encoding.UTF8.GetByteCount(Json(d)) <= DefaultContext.MaxBytes).Select(d => (V.Obj?)d);
    }

    /// <summary>Events through any route, or with values every route can give when <paramref name="anyRoute"/> (routes compared).</summary>
    private static Gen<Event> Events(bool segment, bool anyRoute = false) =>
        from route in anyRoute ? Gen.Constant(Route.Callback) : Gen.Elements(Route.Dictionary, Route.Callback, Route.RawJson, Route.EventJson, Route.Ingest)
        from page in Gen.Elements(false, true)
        from bySession in Gen.Elements(false, true)
        from id in Id()
        from name in Id()
        from named in Gen.Elements(true, true, false)
        from timestamp in Timestamps()
        from hasProperties in Gen.Elements(true, true, true, false)
        from properties in Obj(route, level: 1, size: 6)
        from hasContext in Gen.Elements(true, false)
        from context in Obj(route, level: 1, size: 3)
        select new Event(
            route,
            page,
            page && bySession ? null : id,
            page && bySession ? id : null,
            // A track needs its name; a page's name is optional, but required by the Segment format (spec 003).
            !page || segment || named ? name : null,
            timestamp,
            hasProperties ? properties : null,
            hasContext ? context : null);

    /// <summary>An id or name with more than whitespace in it (an empty or blank one counts as absent, or is refused).</summary>
    private static Gen<string> Id() => Text(short_: true).Select(s => string.IsNullOrWhiteSpace(s) ? "u" + s : s);

    private static Gen<DateTimeOffset?> Timestamps()
    {
        var min = new DateTime(2, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        var max = new DateTime(9998, 12, 31, 0, 0, 0, DateTimeKind.Utc).Ticks;
        var any = from fraction in Gen.Choose(0, int.MaxValue)
                  from ticks in Gen.Choose(0, 9_999_999)
                  from minutes in Gen.Choose(-14 * 60, 14 * 60)
                  let utc = min + (long)((max - min) * (fraction / (double)int.MaxValue)) / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond + ticks
                  select (DateTimeOffset?)new DateTimeOffset(utc, TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(minutes));
        var edges = Gen.Elements<DateTimeOffset?>(
            new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999),
            new DateTimeOffset(2024, 12, 31, 23, 59, 59, TimeSpan.FromHours(-5)).AddTicks(9_999_999),
            DateTimeOffset.UnixEpoch);
        return Gen.Frequency((2, Gen.Constant<DateTimeOffset?>(null)), (3, any), (1, edges));
    }

    /// <summary>Strings callers send: quotes, backslashes, controls, U+2028/2029, non-BMP pairs, lone surrogates; some long.</summary>
    private static Gen<string> Text(bool short_ = false)
    {
        var unit = Gen.Frequency(
            (12, Gen.Choose(0x20, 0x7E).Select(c => ((char)c).ToString())),
            (2, Gen.Choose(0, 0x1F).Select(c => ((char)c).ToString())),
            (3, Gen.Elements("\"", "\\", "/", "\u007F", "\u0085", "\u00A0", "é", "日", "\u2028", "\u2029", "\uFEFF", "\uFFFD", "\uFFFF", "<", "&", "'", "\\u0041", "\\ud800")),
            (2, Gen.Elements("😀", "𝄞", "\U0010FFFF", "\U00010000")),
            (2, Gen.Choose(0xD800, 0xDFFF).Select(c => ((char)c).ToString())));
        var plain = from count in Gen.Choose(0, short_ ? 12 : 20)
                    from units in Gen.ArrayOf(unit, count)
                    select string.Concat(units);
        var longText = from units in Gen.ArrayOf(unit, 8)
                       from length in Gen.Choose(65_000, 100_000)
                       select string.Concat(Enumerable.Repeat(string.Concat(units), (length / Math.Max(1, string.Concat(units).Length)) + 1))[..length];
        return Gen.Frequency((60, plain), (1, longText));
    }

    private static Gen<V> Obj(Route route, int level, int size) =>
        from count in Gen.Choose(0, size)
        from members in Gen.ArrayOf(from key in Gen.Frequency((6, Text(short_: true)), (1, Gen.Elements(CommonNames))) from value in Any(route, level + 1, size / 2) select (key, value), count)
        select (V)new V.Obj(members.DistinctBy(m => m.key, StringComparer.Ordinal).ToList());

    /// <summary>A value at <paramref name="level"/> (the properties object is level 1), of the kinds <paramref name="route"/> can give.</summary>
    private static Gen<V> Any(Route route, int level, int size)
    {
        var scalars = new List<Gen<V>>
        {
            Text().Select(s => (V)new V.Str(s)),
            Gen.OneOf(Gen.Elements(long.MinValue, long.MaxValue, 0L, -1L, int.MinValue, 1L << 53, (1L << 53) + 1), ArbMap.Default.GeneratorFor<long>()).Select(l => (V)new V.Long(l)),
            Gen.OneOf(
                Gen.Elements(double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, -0.0, 0.1, 1e-300, 1e300, 5e-324, 2.2250738585072014E-308),
                ArbMap.Default.GeneratorFor<double>().Where(double.IsFinite)).Select(d => (V)new V.Double(d)),
            Gen.OneOf(
                Gen.Elements(float.Epsilon, float.MaxValue, float.MinValue, 0.1f, -0f, 16777217f),
                ArbMap.Default.GeneratorFor<float>().Where(float.IsFinite)).Select(f => (V)new V.Float(f)),
            Gen.Elements(true, false).Select(b => (V)new V.Bool(b)),
            Gen.Constant((V)new V.Null()),
        };
        if (route != Route.Callback)
        {
            scalars.Add(Gen.OneOf(Gen.Elements(ulong.MaxValue, 0UL, (ulong)long.MaxValue + 1), ArbMap.Default.GeneratorFor<ulong>()).Select(u => (V)new V.ULong(u)));
            scalars.Add(Gen.OneOf(
                Gen.Elements(decimal.MaxValue, decimal.MinValue, 0.0000000000000000000000000001m, -7.9228162514264337593543950335m, 12.50m, -0m),
                ArbMap.Default.GeneratorFor<decimal>()).Select(m => (V)new V.Decimal(m)));
        }

        if (route != Route.Callback) // the callback API writes a date only as a keyed member, not as an array element
            scalars.Add(Timestamps().Select(t => (V)new V.Time(t ?? Now)));
        var scalar = Gen.OneOf(scalars);

        // Within the documented nesting (32 levels, the properties object counted): now and then, a chain to the very limit.
        if (level > PropertiesWriter.MaxDepth)
            return scalar;
        var deep = from leaf in scalar
                   from arrays in Gen.ArrayOf(Gen.Elements(true, false), PropertiesWriter.MaxDepth - level + 1)
                   select arrays.Aggregate(leaf, (inner, isArray) => isArray ? new V.Arr([inner]) : new V.Obj([("k", inner)]));
        var choices = new List<(int, Gen<V>)> { (12, scalar), (1, deep) };
        if (size > 0)
        {
            var array = from count in Gen.Choose(0, size)
                        from items in Gen.ArrayOf(Any(route, level + 1, size / 2), count)
                        select (V)new V.Arr([.. items]);
            choices.Add((2, Obj(route, level, size)));
            choices.Add((2, array));
        }

        if (route == Route.Dictionary)
            choices.Add((1, Any(Route.RawJson, level, size / 2).Select(v => (V)new V.Raw(v))));
        return Gen.Frequency(choices.ToArray());
    }
}
