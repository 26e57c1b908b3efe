using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Sluice.Producing;

namespace Sluice.Tests.Producing;

/// <summary>
/// The pre-serialized API's grammar check. RFC 8259 is the contract ("A JSON text is a serialized
/// value", "Insignificant whitespace is allowed before or after any of the six structural
/// characters"); <c>Utf8JsonReader</c> with its strict defaults is the reference it must agree with
/// on every input, including where it refuses and how deep it lets containers nest.
/// </summary>
public class StrictJsonTests
{
    public static TheoryData<string> Valid() => new()
    {
        "{}", "[]", " \t\r\n{ } \t\r\n", "0", "-0", "-0.0e+0", "1E-7", "123.456e78", "true", "false", "null",
        "\"\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"", "\"\\ud800\"", "\"é€😀\"",
        "{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":{}}", "[[],[[]],{}]", "{ \"a\" : [ 1 , 2 ] }",
    };

    public static TheoryData<string> Invalid() => new()
    {
        "", " ", "{", "}", "[", "]", "{]", "[}", "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{a:1}", "{'a':1}",
        "{\"a\":1,}", "[1,]", "[,1]", "[1 2]", "{,}", "01", "-", "+1", ".5", "1.", "1.e5", "1e", "1e+",
        "0x10", "NaN", "Infinity", "tru", "nul", "truex", "nulls", "[true false]", "\"abc", "\"\\\"",
        "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\t\"", "\"\n\"", "\"\u0000\"", "{}{}", "{} x", "[1]]",
        "// c\n{}", "{/* c */}", "\u000B{}", "\u00A0{}", "\uFEFF{}",
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void RFC_8259_values_pass(string json)
    {
        var problem = StrictJson.Check(Encoding.UTF8.GetBytes(json), maxLevels: 32);
        Assert.True(problem.IsNone, $"{json}: {problem}");
        Assert.Null(ReaderProblem(Encoding.UTF8.GetBytes(json), 32));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Everything_else_is_refused_with_where(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var problem = StrictJson.Check(bytes, maxLevels: 32);
        Assert.False(problem.IsNone, json);
        Assert.InRange(problem.At, 0, bytes.Length);
        Assert.NotNull(ReaderProblem(bytes, 32));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(32)]
    [InlineData(64)]
    public void Containers_may_nest_exactly_the_limit_and_not_one_level_more(int levels)
    {
        string ok = new string('[', levels - 1) + "{\"a\":1}" + new string(']', levels - 1);
        Assert.True(StrictJson.Check(Encoding.UTF8.GetBytes(ok), levels).IsNone);

        string deep = new string('[', levels) + "{}" + new string(']', levels);
        var problem = StrictJson.Check(Encoding.UTF8.GetBytes(deep), levels);
        Assert.True(problem.TooDeep);
        Assert.Equal(levels, problem.At); // the first container past the limit
        Assert.True(StrictJson.Check("1"u8, 0).IsNone); // no container, no level
        Assert.True(StrictJson.Check("[]"u8, 0).TooDeep);
    }

    [Theory]
    [InlineData("{\"a\":\"\\ud800\"}", true)]
    [InlineData("{\"\\uDBFF\\uDC00\":1}", true)]
    [InlineData("[\"x\\udfff\"]", true)]
    [InlineData("{\"a\":\"\\ud7ff\\ue000\\u00e9\"}", false)]
    [InlineData("{\"a\":\"\\\\ud800\"}", false)] // a backslash, then "ud800" as text
    [InlineData("{\"a\":\"é€😀\"}", false)] // non-ASCII characters as UTF-8, not escaped
    public void Only_texts_that_escape_a_surrogate_are_flagged_for_repair(string json, bool flagged)
    {
        var problem = StrictJson.Check(Encoding.UTF8.GetBytes(json), 32);
        Assert.True(problem.IsNone, problem.ToString());
        Assert.Equal(flagged, problem.SurrogateEscapes);
    }

    [Fact]
    public async Task A_refusal_through_the_engine_names_the_field_and_the_byte()
    {
        await using var engine = new SluiceEngine(new SluiceOptions(), new Sluice.Delivery.Transports.InMemoryTransport());
        var ex = Assert.Throws<ArgumentException>(() => engine.TrackJson("u", "e", "{\"a\":1,}"u8));
        Assert.Equal("properties", ex.ParamName);
        Assert.Contains("properties: not valid JSON (expected a property name in double quotes, at byte 7)", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => engine.TrackJson("u", "e", "{}"u8, "{\"a\":\"x\ny\"}"u8));
        Assert.Equal("context", ex.ParamName);
        Assert.Contains("a control character in a string must be escaped, at byte 7", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, engine.GetCounters().Accepted);
    }

    // Random texts built from JSON's own pieces (and a few wrong ones), so most are nearly valid:
    // the check must agree with Utf8JsonReader on every one, at several nesting limits.
    private static readonly string[] Pieces =
    [
        "{", "}", "[", "]", ",", ":", " ", "\n", "\"a\"", "\"k\":", "\"\\n\\u00e9\"", "\"é😀\"", "\"\\ud800\"",
        "0", "-1", "12.5", "3e8", "-0.0E-2", "true", "false", "null",
        "\"", "\\", "\"\\q\"", "\"\\u12\"", "01", "1.", "-", "+1", "tru", "\t", "\u0001", "x", "/", "\"\n\"",
    ];

    [Fact]
    public void Agrees_with_Utf8JsonReader_on_random_texts()
    {
        var texts = from count in Gen.Choose(0, 40)
                    from pieces in Gen.ArrayOf(Gen.Frequency((12, Gen.Elements(Pieces[..21])), (1, Gen.Elements(Pieces[21..]))), count)
                    from limit in Gen.Elements(0, 1, 2, 3, 32)
                    select (Text: string.Concat(pieces), Limit: limit);
        int valid = 0;
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(20_000), Prop.ForAll(Arb.From(texts), t =>
        {
            var bytes = Encoding.UTF8.GetBytes(t.Text);
            var problem = StrictJson.Check(bytes, t.Limit);
            string? expected = ReaderProblem(bytes, t.Limit);
            if (problem.IsNone != (expected is null) || problem.TooDeep != (expected == "too deep"))
                throw new InvalidOperationException($"'{t.Text}' (limit {t.Limit}): check says {problem}, the reader {expected ?? "valid"}");
            valid += expected is null ? 1 : 0;
        }));
        Assert.InRange(valid, 200, 19_000); // both outcomes were exercised
    }

    [Fact]
    public void Agrees_with_Utf8JsonReader_on_generated_valid_documents()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(Arb.From(Document(4)), text =>
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            Assert.Null(ReaderProblem(bytes, 6));
            Assert.True(StrictJson.Check(bytes, 6).IsNone, text);
        }));
    }

    private static Gen<string> Document(int depth)
    {
        var scalar = Gen.Elements("0", "-12.5e3", "true", "null", "\"s\\t\\u0041é\"", "\"\"");
        if (depth == 0)
            return scalar;
        var inner = Document(depth - 1);
        var array = Gen.ListOf(inner).Select(items => "[" + string.Join(", ", items.Take(4)) + "]");
        var obj = Gen.ListOf(inner).Select(items => "{" + string.Join(",", items.Take(4).Select((v, i) => $"\"k{i}\" :\n{v}")) + "}");
        return Gen.Frequency((2, scalar), (1, array), (1, obj));
    }

    /// <summary>The reference: null if Utf8JsonReader reads exactly one value within the limit.</summary>
    private static string? ReaderProblem(byte[] json, int maxLevels)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 1000 });
        try
        {
            if (!reader.Read())
                return "empty";
            do
            {
                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth >= maxLevels)
                    return "too deep";
            }
            while (reader.Read());
            return null;
        }
        catch (JsonException ex)
        {
            return ex.Message;
        }
    }
}
