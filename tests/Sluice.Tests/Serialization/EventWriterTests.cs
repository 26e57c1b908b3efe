using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Sluice.Batching;
using Sluice.Delivery.Transports;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Serialization;

/// <summary>
/// What the serializer writes for an event's values: the documented mapping of .NET values to JSON
/// (strings escaped as System.Text.Json escapes them with relaxed escaping, numbers as it writes them,
/// a float as a float, dates as UTC ISO 8601 with microseconds), whatever the value, its nesting, the
/// names the cache has seen, and where the event falls relative to the body's pooled blocks.
/// </summary>
public class EventWriterTests
{
    private static readonly WireFormat Format = ThriveStackFormat.Instance;

    /// <summary>A value: a string, integer, unsigned, double, float, bool, null, date, object or array.</summary>
    public sealed record Value(char Kind, string? Text = null, long Whole = 0, double Number = 0, IReadOnlyList<(string Name, Value Value)>? Members = null, IReadOnlyList<Value>? Items = null)
    {
        /// <summary>The .NET value a caller passes.</summary>
        public object? Clr() => Kind switch
        {
            's' => Text,
            'l' => Whole,
            'u' => (ulong)Whole,
            'd' => Number,
            'f' => (float)Number,
            'b' => Whole != 0,
            'n' => null,
            't' => new DateTimeOffset(Whole, TimeSpan.FromHours(Whole % 3)),
            'o' => Members!.ToDictionary(m => m.Name, m => m.Value.Clr()),
            _ => Items!.Select(i => i.Clr()).ToList(),
        };

        public override string ToString() => Kind switch
        {
            'o' => "{" + string.Join(",", Members!.Select(m => $"{JsonSerializer.Serialize(m.Name)}:{m.Value}")) + "}",
            'a' => "[" + string.Join(",", Items!) + "]",
            _ => $"{Kind}:{JsonSerializer.Serialize(Clr())}",
        };
    }

    [Fact]
    public void Values_of_every_kind_are_written_as_Utf8JsonWriter_writes_them_wherever_the_event_falls_in_the_body()
    {
        var objects = Gen.Sized(size => Object(Math.Min(size, 12), depth: 3));
        var filler = Gen.Choose(0, 140_000);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Arb.From(objects), Arb.From(filler), (value, fill) =>
        {
            // The filler event puts the others at a random place relative to the 64 KB block edges; each
            // object is written three times, so its names are written uncached, then from the cache.
            var make = new TestRecords();
            var map = (Dictionary<string, object?>)value.Clr()!;
            var records = new List<EventRecord> { make.Track("u", "filler", (ref PropertiesWriter w) => w.WriteString("pad", new string('f', fill))) };
            for (int i = 0; i < 3; i++)
                records.Add(make.Track("u", "e", (ref PropertiesWriter w) => w.WriteMembers(map)));

            var events = WriteBody(records);
            for (int i = 1; i < events.Count; i++)
                Assert.Equal(Expected("u", "e", TestRecords.Time, value), events[i]);
        }));
    }

    [Fact]
    public async Task A_float_property_is_written_as_a_float_not_widened_to_a_double()
    {
        // Found: 0.1f went out as 0.10000000149011612 (the float was widened to a double first).
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions(), transport))
        {
            engine.Track("u", "dictionary", new Dictionary<string, object?> { ["f"] = 0.1f, ["list"] = new[] { 1.1f, -3.4028235E+38f, 1e-45f } });
            engine.Track("u", "callback", 0, static (ref PropertiesWriter w, int _) => w.WriteNumber("f", 0.1f));
            // Found later: an array element written through the callback API still went out widened.
            engine.Track("u", "callback elements", 0, static (ref PropertiesWriter w, int _) =>
            {
                w.WriteStartArray("list");
                w.WriteNumberValue(1.1f);
                w.WriteNumberValue(-3.4028235E+38f);
                w.WriteNumberValue(1e-45f);
                w.WriteEndArray();
            });
        }

        var properties = transport.Batches.SelectMany(BatchJson.Events).Select(e => e.GetProperty("properties").GetRawText()).ToList();
        Assert.Equal(["""{"f":0.1,"list":[1.1,-3.4028235E+38,1E-45]}""", """{"f":0.1}""", """{"list":[1.1,-3.4028235E+38,1E-45]}"""], properties);
    }

    [Fact]
    public void Timestamps_are_right_whether_their_second_was_the_last_ones_or_not()
    {
        // Runs of events in one second, jumps forward and back (a caller's own timestamps), a day's edge.
        var start = new DateTime(2026, 11, 22, 23, 59, 58, DateTimeKind.Utc).Ticks;
        var ticks = from steps in Gen.ListOf(Gen.Frequency((6, Gen.Choose(0, 2_000).Select(t => (long)t * 1_007)), (1, Gen.Choose(-30_000, 30_000).Select(t => (long)t * 1_000_003))))
                    select steps.Aggregate(new List<long>(), (list, step) => { list.Add((list.Count == 0 ? start : list[^1]) + step); return list; });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), Prop.ForAll(Arb.From(ticks), list =>
        {
            if (list.Count == 0)
                return;
            var make = new TestRecords();
            var records = list.Select(t => make.Track("u", "e", (ref PropertiesWriter w) => w.WriteString("at", new DateTimeOffset(t, TimeSpan.Zero)), ticks: t)).ToList();

            var written = WriteBody(records).Select(e => JsonDocument.Parse(e).RootElement).ToList();

            var expected = list.Select(t => new DateTime(t, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(expected, written.Select(e => e.GetProperty("timestamp").GetString()));
            Assert.Equal(expected, written.Select(e => e.GetProperty("properties").GetProperty("at").GetString()));
        }));
    }

    [Fact]
    public void Strings_and_names_larger_than_a_block_are_written_whole()
    {
        string name = new('n', 70_000);
        var value = new Value('o', Members: [(name, new Value('s', Text: new string('é', 100_000))), ("k", new Value('s', Text: string.Concat(Enumerable.Repeat("x\"\n", 70_000))))]);
        var map = (Dictionary<string, object?>)value.Clr()!;
        var make = new TestRecords();

        var events = WriteBody([make.Track("u", "e", (ref PropertiesWriter w) => w.WriteMembers(map)), make.Track("u", "e", (ref PropertiesWriter w) => w.WriteMembers(map))]);

        Assert.All(events, e => Assert.Equal(Expected("u", "e", TestRecords.Time, value), e));
    }

    [Fact]
    public void Pre_serialized_json_is_written_as_given()
    {
        var make = new TestRecords();
        var element = JsonDocument.Parse("""{"deep":[1,{"x":null}]}""").RootElement;
        var guid = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        var records = new List<EventRecord>
        {
            make.Track("u", "e", (ref PropertiesWriter w) => w.WriteRawObject("""{"a":[1,2],"b":"é"}"""u8, loneSurrogates: false), (ref PropertiesWriter w) => w.WriteRawObject("""{"c":true}"""u8, loneSurrogates: false)),
            make.Track("u", "e", (ref PropertiesWriter w) => w.WriteMembers(new Dictionary<string, object?> { ["j"] = element, ["m"] = 12.50m, ["g"] = guid, ["l"] = new object?[] { element, 1.5m } })),
        };

        var written = WriteBody(records).Select(e => JsonDocument.Parse(e).RootElement).ToList();

        Assert.Equal("""{"a":[1,2],"b":"é"}""", written[0].GetProperty("properties").GetRawText());
        Assert.Equal("""{"c":true}""", written[0].GetProperty("context").GetRawText());
        Assert.Equal("""{"j":{"deep":[1,{"x":null}]},"m":12.50,"g":"0f8fad5b-d9cb-469f-a165-70867728950e","l":[{"deep":[1,{"x":null}]},1.5]}""", written[1].GetProperty("properties").GetRawText());
    }

    [Fact]
    public void The_event_view_shows_the_event_as_the_caller_gave_it()
    {
        // A fresh producer's first event with empty properties and context: an empty object each, no arena read.
        var make = new TestRecords();
        var records = new List<EventRecord>
        {
            make.Track("user-1", "signed_up", (ref PropertiesWriter w) => { }, (ref PropertiesWriter w) => { }, ticks: TestRecords.Time + 7),
            make.SessionPage("session-1", "Home"),
            make.Track("user-2", "plain"),
        };
        var format = new ViewFormat();

        var written = WriteBody(records, format);

        Assert.Equal(
        [
            "Track|user-1||signed_up|" + (TestRecords.Time + 7) + "|2024-10-20T15:51:35.0590007+00:00|0|True|True",
            "Page||session-1|Home|" + TestRecords.Time + "|2024-10-20T15:51:35.0590000+00:00|1|False|False",
            "Track|user-2||plain|" + TestRecords.Time + "|2024-10-20T15:51:35.0590000+00:00|2|False|False",
        ], format.Seen);
        Assert.Equal("""{"p":{},"c":{},"p2":{},"c2":{},"t":"2024-10-20T15:51:35.059000Z","t2":"2024-10-20T15:51:35.059000Z"}""", written[0]);
        Assert.Equal("""{"p":{},"c":{},"p2":{},"c2":{},"t":"2024-10-20T15:51:35.059000Z","t2":"2024-10-20T15:51:35.059000Z"}""", written[1]);
    }

    [Fact]
    public void A_format_that_leaves_an_object_open_fails_its_event()
    {
        var record = new TestRecords().Track("u", "e");
        var writer = new EventWriter();
        writer.Attach(new ArrayBufferWriter<byte>());

        var ex = Assert.Throws<InvalidOperationException>(() => writer.Write(new UnclosedFormat(), ref record, 0));
        Assert.Equal("The wire format UnclosedFormat left 2 object(s) or array(s) open.", ex.Message);
    }

    [Fact]
    public void A_timestamp_text_is_right_from_its_first_second()
    {
        var text = new TimestampText();
        Assert.Equal("0001-01-01T00:00:01.000000Z", Encoding.UTF8.GetString(text.Of(TimeSpan.TicksPerSecond)));
        Assert.Equal("0001-01-01T00:00:01.000001Z", Encoding.UTF8.GetString(text.Of(TimeSpan.TicksPerSecond + 19)));
        Assert.Equal("0001-01-01T00:00:00.999999Z", Encoding.UTF8.GetString(new TimestampText().Of(TimeSpan.TicksPerSecond - 1)));
    }

    [Fact]
    public void A_format_given_no_writer_is_told_so()
    {
        var record = new TestRecords().Track("u", "e", (ref PropertiesWriter w) => w.WriteNumber("n", 1));
        var view = new EventView(ref record, 0, new EventWriter());
        for (int call = 0; call < 6; call++)
            Assert.Equal("writer", NullWriterParameter(view, call));
    }

    [Fact]
    public void A_format_given_no_writer_is_told_so_when_a_default_context_is_merged_in()
    {
        var record = new TestRecords().Track("u", "e", context: (ref PropertiesWriter w) => w.WriteNumber("n", 1));
        var view = new EventView(ref record, 0, new EventWriter(DefaultContext.Parse("""{"channel":"server"}""")));
        Assert.Equal("writer", NullWriterParameter(view, 2));
        Assert.Equal("writer", NullWriterParameter(view, 3));
    }

    [Fact]
    public void A_partition_merges_raw_contexts_in_one_buffer_kept_from_event_to_event()
    {
        var writer = new EventWriter(DefaultContext.Parse("""{"channel":"server"}"""));
        Assert.Same(writer.Scratch, writer.Scratch);
    }

    [Fact]
    public void An_entry_of_an_unknown_kind_fails_its_event_loudly()
    {
        var record = new TestRecords().Track("u", "e", (ref PropertiesWriter w) => w.WriteNumber("n", 1));
        record.Chunk!.Entries[record.PropStart].Tag = (EntryTag)200;
        var writer = new EventWriter();
        writer.Attach(new ArrayBufferWriter<byte>());

        var ex = Assert.Throws<InvalidOperationException>(() => writer.Write(Format, ref record, 0));
        Assert.Equal("Unknown entry tag 200.", ex.Message);
    }

    private static string? NullWriterParameter(EventView view, int call)
    {
        try
        {
            switch (call)
            {
                case 0: view.WriteProperties(null!); break;
                case 1: view.WriteProperties(null!, default); break;
                case 2: view.WriteContext(null!); break;
                case 3: view.WriteContext(null!, default); break;
                case 4: view.WriteTimestamp(null!); break;
                default: view.WriteTimestamp(null!, default); break;
            }

            return null;
        }
        catch (ArgumentNullException ex)
        {
            return ex.ParamName;
        }
    }

    /// <summary>Writes the records into one batch body of pooled blocks, as the serializer does; returns each event's JSON.</summary>
    private static List<string> WriteBody(List<EventRecord> records, WireFormat? format = null)
    {
        format ??= Format;
        // A custom format (the wrapper) may take batches above the built-in APIs' limits.
        var options = new SluiceOptions { MaxBatchBytes = SluiceOptions.MaxBatchBytesLimit, MaxBatchEvents = records.Count, WireFormat = new WrappedFormat(format) }.Validated();
        var open = new OpenBatch(0, options.MaxBatchBytes, format.BatchPrefix(0).Length, format.BatchSuffix(0).Length, BatchMemory.CreateManager(options));
        open.Open(format.BatchPrefix(0), records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            var record = records[i];
            open.Write(format, ref record, i);
            open.Commit();
        }

        var batch = open.Seal(0, format);
        try
        {
            using var body = JsonDocument.Parse(batch.Body); // the body as a whole is valid JSON
            Assert.Equal(records.Count, body.RootElement.GetArrayLength());
            return Enumerable.Range(0, batch.EventCount).Select(i => Encoding.UTF8.GetString(batch.GetEvent(i))).ToList();
        }
        finally
        {
            batch.Release();
        }
    }

    /// <summary>The event as System.Text.Json writes it from the same values, with the engine's settings.</summary>
    private static string Expected(string userId, string name, long ticks, Value properties)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EventWriter.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("user_id", userId);
            w.WriteString("event_name", name);
            w.WriteString("timestamp", Stamp(ticks));
            w.WritePropertyName("properties");
            Write(w, properties);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Stamp(long utcTicks) => new DateTime(utcTicks, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    private static void Write(Utf8JsonWriter w, Value v)
    {
        switch (v.Kind)
        {
            case 's': w.WriteStringValue(v.Text); break;
            case 'l': w.WriteNumberValue(v.Whole); break;
            case 'u': w.WriteNumberValue((ulong)v.Whole); break;
            case 'd': w.WriteNumberValue(v.Number); break;
            case 'f': w.WriteNumberValue((float)v.Number); break;
            case 'b': w.WriteBooleanValue(v.Whole != 0); break;
            case 'n': w.WriteNullValue(); break;
            case 't': w.WriteStringValue(Stamp(((DateTimeOffset)v.Clr()!).UtcTicks)); break;
            case 'o':
                w.WriteStartObject();
                foreach (var (name, value) in v.Members!)
                {
                    w.WritePropertyName(name);
                    Write(w, value);
                }

                w.WriteEndObject();
                break;
            default:
                w.WriteStartArray();
                foreach (var item in v.Items!)
                    Write(w, item);
                w.WriteEndArray();
                break;
        }
    }

    private static Gen<Value> Object(int size, int depth)
        => from count in Gen.Choose(0, Math.Max(size, 1))
           from members in Gen.ListOf(from name in Text()
                                      from value in Any(size / 2, depth - 1)
                                      select (name, value), count)
           select new Value('o', Members: members.DistinctBy(m => m.name).ToList());

    private static Gen<Value> Any(int size, int depth)
    {
        var finite = ArbMap.Default.GeneratorFor<double>().Where(double.IsFinite);
        var scalars = Gen.OneOf(
            Text().Select(t => new Value('s', Text: t)),
            ArbMap.Default.GeneratorFor<long>().Select(l => new Value('l', Whole: l)),
            ArbMap.Default.GeneratorFor<ulong>().Select(u => new Value('u', Whole: (long)u)),
            Gen.OneOf(Gen.Choose(-100_000, 100_000).Select(m => m / 100.0), finite).Select(d => new Value('d', Number: d)),
            Gen.OneOf(Gen.Choose(-100_000, 100_000).Select(m => m / 100.0), finite.Where(d => float.IsFinite((float)d))).Select(d => new Value('f', Number: d)),
            ArbMap.Default.GeneratorFor<bool>().Select(b => new Value('b', Whole: b ? 1 : 0)),
            Gen.Constant(new Value('n')),
            Gen.Choose(0, int.MaxValue).Select(t => new Value('t', Whole: DateTime.UnixEpoch.Ticks + ((long)t * 1_000_003))));
        if (depth <= 0)
            return scalars;
        var array = from count in Gen.Choose(0, Math.Max(size, 1))
                    from items in Gen.ListOf(Any(size / 2, depth - 1), count)
                    select new Value('a', Items: items.ToList());
        return Gen.Frequency((6, scalars), (1, Object(size, depth)), (1, array));
    }

    /// <summary>Strings callers send: identifiers, printable ASCII with quotes and backslashes, controls, non-ASCII, emoji.</summary>
    private static Gen<string> Text()
    {
        var chars = Gen.Frequency(
            (8, Gen.Choose(0x20, 0x7E).Select(c => (char)c)),
            (1, Gen.Choose(0, 0x1F).Select(c => (char)c)),
            (1, Gen.Elements('"', '\\', '\u007F', 'é', 'ß', '日', '\u2028', '\uFEFF', '\uFFFD', '<', '&')));
        var plain = Gen.ArrayOf(chars).Select(a => new string(a));
        return Gen.Frequency((6, plain), (1, Gen.Elements("user-42", "", "😀 emoji", "tab\there", "export_csv")));
    }

    /// <summary>Records what the view shows, and writes every snapshot and the timestamp both ways (named and as values).</summary>
    private sealed class ViewFormat : WireFormat
    {
        private static readonly JsonEncodedText P = JsonEncodedText.Encode("p");
        private static readonly JsonEncodedText C = JsonEncodedText.Encode("c");
        private static readonly JsonEncodedText T = JsonEncodedText.Encode("t");

        public List<string> Seen { get; } = [];

        public override int PartitionCount => 1;

        public override int PartitionOf(EventKind kind) => 0;

        public override string EndpointPath(int partition) => "/view";

        public override ReadOnlySpan<byte> BatchPrefix(int partition) => "["u8;

        public override ReadOnlySpan<byte> BatchSuffix(int partition) => "]"u8;

        public override void WriteEvent(Utf8JsonWriter writer, in EventView e)
        {
            Seen.Add(string.Join("|", e.Kind, e.UserId, e.SessionId, e.Name, e.TimestampTicks, e.Timestamp.ToString("O", CultureInfo.InvariantCulture), e.Id, e.HasProperties, e.HasContext));
            writer.WriteStartObject();
            e.WriteProperties(writer, P);
            e.WriteContext(writer, C);
            writer.WritePropertyName("p2");
            e.WriteProperties(writer);
            writer.WritePropertyName("c2");
            e.WriteContext(writer);
            e.WriteTimestamp(writer, T);
            writer.WritePropertyName("t2");
            e.WriteTimestamp(writer);
            writer.WriteEndObject();
        }
    }

    /// <summary>Opens an object and an array inside it, and closes neither.</summary>
    private sealed class UnclosedFormat : WireFormat
    {
        public override int PartitionCount => 1;

        public override int PartitionOf(EventKind kind) => 0;

        public override string EndpointPath(int partition) => "/unclosed";

        public override ReadOnlySpan<byte> BatchPrefix(int partition) => "["u8;

        public override ReadOnlySpan<byte> BatchSuffix(int partition) => "]"u8;

        public override void WriteEvent(Utf8JsonWriter writer, in EventView e)
        {
            writer.WriteStartObject();
            writer.WriteStartArray("a");
        }
    }
}
