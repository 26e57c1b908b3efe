using System.Buffers;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Sluice.Batching;
using Sluice.Serialization;

namespace Sluice.Tests.Serialization;

/// <summary>
/// The engine's writer must write exactly what <see cref="Utf8JsonWriter"/> writes with the engine's
/// options (the wire format's contract, and what every oracle in these tests compares against):
/// random JSON objects with every value kind, names pre-encoded or not, any string (escaping,
/// non-ASCII, astral characters), any double, at random places relative to the body's block edges.
/// </summary>
public class JsonEventWriterTests
{
    /// <summary>A value to write: a string, integer, unsigned, double, bool, null, object or array.</summary>
    public sealed record Value(char Kind, string? Text = null, long Whole = 0, double Number = 0, IReadOnlyList<(string Name, bool Encoded, Value Value)>? Members = null, IReadOnlyList<Value>? Items = null)
    {
        public override string ToString() => Kind switch
        {
            's' => JsonSerializer.Serialize(Text),
            'l' => Whole.ToString(System.Globalization.CultureInfo.InvariantCulture),
            'u' => ((ulong)Whole).ToString(System.Globalization.CultureInfo.InvariantCulture) + "u",
            'd' => Number.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "d",
            'b' => Whole != 0 ? "true" : "false",
            'n' => "null",
            'o' => "{" + string.Join(",", Members!.Select(m => $"{JsonSerializer.Serialize(m.Name)}{(m.Encoded ? "(enc)" : "")}:{m.Value}")) + "}",
            _ => "[" + string.Join(",", Items!) + "]",
        };
    }

    [Fact]
    public void Writes_what_Utf8JsonWriter_writes_byte_for_byte()
    {
        var objects = Gen.Sized(size => Object(Math.Min(size, 12), depth: 3));
        var filler = Gen.Choose(0, 70_000);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(400), Prop.ForAll(Arb.From(objects), Arb.From(filler), (value, fill) =>
        {
            // The filler puts the object at a random place relative to the 64 KB block edges.
            var root = new Value('a', Items: [new Value('s', Text: new string('f', fill)), value]);
            Assert.Equal(Reference(root), Ours(root));
        }));
    }

    [Fact]
    public void Doubles_are_written_as_the_runtime_writes_them_fast_path_or_not()
    {
        // Decimals as callers pass them (m / 10^k), their neighbours one ulp away, and any bits at all.
        var decimals = from m in Gen.Choose(-2_000_000_000, 2_000_000_000)
                       from scale in Gen.Elements(1L, 10L, 100L, 1_000L, 10_000L, 1_000_000L, 1_000_000_000_000L)
                       from nudge in Gen.Elements(0, 0, 0, 1, -1)
                       let d = (double)m * (scale > 1_000_000 ? 1_000 : 1) / scale
                       select nudge == 0 ? d : nudge > 0 ? Math.BitIncrement(d) : Math.BitDecrement(d);
        var any = ArbMap.Default.GeneratorFor<long>().Select(BitConverter.Int64BitsToDouble).Where(double.IsFinite);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(20_000), Prop.ForAll(Arb.From(Gen.OneOf(decimals, any)), d =>
        {
            var root = new Value('d', Number: d);
            Assert.Equal(Reference(root), Ours(root));
        }));

        double[] edges = [0.0, -0.0, 0.001, 0.0009, -0.001, 1e15, 1e15 - 1, 999_999_999_999_999.9, 1e14 + 0.5, 0.1, 0.2, 0.3, 1.005, 2.675, 1000.5, -1000.125, 5e-324, double.MaxValue, double.MinValue, 123456789.123, 9007199254740993];
        Assert.All(edges, d => Assert.Equal(Reference(new Value('d', Number: d)), Ours(new Value('d', Number: d))));
    }

    [Fact]
    public void Timestamps_are_right_whether_their_second_was_the_last_ones_or_not()
    {
        // Runs of events in one second, jumps forward and back (a caller's own timestamps), a day's edge.
        var start = new DateTime(2026, 11, 22, 23, 59, 58, DateTimeKind.Utc).Ticks;
        var ticks = from steps in Gen.ListOf(Gen.Frequency((6, Gen.Choose(0, 2_000).Select(t => (long)t * 1_000)), (1, Gen.Choose(-30_000, 30_000).Select(t => (long)t * 1_000_000))))
                    select steps.Aggregate(new List<long>(), (list, step) => { list.Add((list.Count == 0 ? start : list[^1]) + step); return list; });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Arb.From(ticks), list =>
        {
            var body = new BatchBuffer(new SegmentPool(maxRetained: 1));
            var w = new JsonEventWriter(body);
            w.WriteStartArray();
            foreach (long t in list)
                w.WriteTimestampValue(t);
            w.WriteEndArray();
            w.Release();
            var written = JsonSerializer.Deserialize<string[]>(body.Detach(out _).ToArray())!;
            var expected = list.Select(t => new DateTime(t, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(expected, written);
        }));
    }

    [Fact]
    public void Non_finite_doubles_are_refused_naming_the_value()
    {
        var writer = new JsonEventWriter(new BatchBuffer(new SegmentPool(maxRetained: 1)));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => writer.WriteNumberValue(double.NaN));
        Assert.Equal("value", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.WriteNumberValue(double.NegativeInfinity));
    }

    [Fact]
    public void Huge_strings_and_names_larger_than_a_block_are_written_whole()
    {
        var name = new string('n', 70_000);
        var root = new Value('o', Members: [(name, false, new Value('s', Text: new string('é', 100_000))), ("k", true, new Value('s', Text: new string('x', 200_000)))]);
        Assert.Equal(Reference(root), Ours(root));
    }

    private static Gen<Value> Object(int size, int depth)
        => from count in Gen.Choose(0, Math.Max(size, 1))
           from members in Gen.ListOf(from name in Text()
                                      from encoded in ArbMap.Default.GeneratorFor<bool>()
                                      from value in Any(size / 2, depth - 1)
                                      select (name, encoded, value), count)
           select new Value('o', Members: members.ToList());

    private static Gen<Value> Any(int size, int depth)
    {
        var scalars = Gen.OneOf(
            Text().Select(t => new Value('s', Text: t)),
            ArbMap.Default.GeneratorFor<long>().Select(l => new Value('l', Whole: l)),
            ArbMap.Default.GeneratorFor<ulong>().Select(u => new Value('u', Whole: (long)u)),
            Gen.OneOf(Gen.Choose(-100_000, 100_000).Select(m => m / 100.0), ArbMap.Default.GeneratorFor<double>().Where(double.IsFinite)).Select(d => new Value('d', Number: d)),
            ArbMap.Default.GeneratorFor<bool>().Select(b => new Value('b', Whole: b ? 1 : 0)),
            Gen.Constant(new Value('n')));
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

    private static byte[] Reference(Value value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, BatchAssembler.WriterOptions))
            Write(w, value);
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Ours(Value value)
    {
        var body = new BatchBuffer(new SegmentPool(maxRetained: 4));
        var w = new JsonEventWriter(body);
        Write(w, value);
        w.Release();
        return body.Detach(out _).ToArray();
    }

    private static void Write(Utf8JsonWriter w, Value v)
    {
        switch (v.Kind)
        {
            case 's': w.WriteStringValue(v.Text); break;
            case 'l': w.WriteNumberValue(v.Whole); break;
            case 'u': w.WriteNumberValue((ulong)v.Whole); break;
            case 'd': w.WriteNumberValue(v.Number); break;
            case 'b': w.WriteBooleanValue(v.Whole != 0); break;
            case 'n': w.WriteNullValue(); break;
            case 'o':
                w.WriteStartObject();
                foreach (var (name, encoded, value) in v.Members!)
                {
                    if (encoded)
                        w.WritePropertyName(JsonEncodedText.Encode(name, BatchAssembler.WriterOptions.Encoder));
                    else
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

    private static void Write(JsonEventWriter w, Value v)
    {
        switch (v.Kind)
        {
            case 's': w.WriteStringValue(v.Text); break;
            case 'l': w.WriteNumberValue(v.Whole); break;
            case 'u': w.WriteNumberValue((ulong)v.Whole); break;
            case 'd': w.WriteNumberValue(v.Number); break;
            case 'b': w.WriteBooleanValue(v.Whole != 0); break;
            case 'n': w.WriteNullValue(); break;
            case 'o':
                w.WriteStartObject();
                foreach (var (name, encoded, value) in v.Members!)
                {
                    if (encoded)
                        w.WritePropertyName(JsonEncodedText.Encode(name, BatchAssembler.WriterOptions.Encoder));
                    else
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
}
