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
        }

        var properties = transport.Batches.SelectMany(BatchJson.Events).Select(e => e.GetProperty("properties").GetRawText()).ToList();
        Assert.Equal(["""{"f":0.1,"list":[1.1,-3.4028235E+38,1E-45]}""", """{"f":0.1}"""], properties);
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

    /// <summary>Writes the records into one batch body of pooled blocks, as the serializer does; returns each event's JSON.</summary>
    private static List<string> WriteBody(List<EventRecord> records)
    {
        var options = new SluiceOptions { MaxBatchBytes = SluiceOptions.MaxBatchBytesLimit, MaxBatchEvents = records.Count }.Validated();
        var open = new OpenBatch(0, options.MaxBatchBytes, Format.BatchPrefix(0).Length, Format.BatchSuffix(0).Length, BatchMemory.CreateManager(options));
        open.Open(Format.BatchPrefix(0), records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            var record = records[i];
            open.Write(Format, ref record, i);
            open.Commit();
        }

        var batch = open.Seal(0, Format);
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
}
