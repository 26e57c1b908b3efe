using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Sluice.Delivery.Transports;
using Sluice.Producing;

namespace Sluice.Tests.Producing;

/// <summary>
/// The check of JSON given as bytes (pre-serialized properties and context, <c>JsonElement</c>
/// values). RFC 8259 is the contract: "A JSON text is a serialized value", "Insignificant whitespace
/// is allowed before or after any of the six structural characters"; and nothing else (no comments,
/// no trailing commas, no second value). A refusal names the field, the reason and the byte.
/// </summary>
public class RawJsonTests
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
        => RawJson.Validate(Encoding.UTF8.GetBytes(json), "properties", maxLevels: 32, objectOnly: false);

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Everything_else_is_refused_naming_the_field_the_reason_and_the_byte(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var ex = Assert.Throws<ArgumentException>(() => RawJson.Validate(bytes, "properties", maxLevels: 32, objectOnly: false));
        Assert.Equal("properties", ex.ParamName);
        Assert.StartsWith("properties: not valid JSON (", ex.Message, StringComparison.Ordinal);
        Assert.InRange(ByteOf(ex), 0, bytes.Length);
        Assert.DoesNotContain("LineNumber", ex.Message, StringComparison.Ordinal); // the byte replaces the reader's line and column
    }

    [Theory]
    [InlineData("{\"a\":1,}", 7)]
    [InlineData("{\"a\":1,\n \"b\" 2}", 13)]
    [InlineData("{\"a\":1,\r\n \"b\" 2}", 14)]
    [InlineData("{\"a\":1,\n\"b\" 2,\n\"c\":3\n}", 12)] // lines after the error do not count
    [InlineData("\n\n  {\"a\" 1}", 9)]
    [InlineData("{\"a\":\"é\",\"b\":x}", 14)] // bytes, not characters: é is two
    public void The_byte_is_counted_from_the_start_of_the_text_across_lines(string json, int at)
    {
        var ex = Assert.Throws<ArgumentException>(() => RawJson.Validate(Encoding.UTF8.GetBytes(json), "properties"));
        Assert.Equal(at, ByteOf(ex));
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("1")]
    [InlineData(" null ")]
    public void Pre_serialized_properties_must_be_one_object(string json)
    {
        var ex = Assert.Throws<ArgumentException>(() => RawJson.Validate(Encoding.UTF8.GetBytes(json), "context"));
        Assert.Equal("context", ex.ParamName);
        Assert.Equal("context: must be one JSON object. (Parameter 'context')", ex.Message);
    }

    [Fact]
    public void Invalid_UTF_8_is_refused_even_inside_a_string()
    {
        byte[] json = [(byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xC3, (byte)'"', (byte)'}'];
        var ex = Assert.Throws<ArgumentException>(() => RawJson.Validate(json, "properties"));
        Assert.StartsWith("properties: the JSON is not valid UTF-8.", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(32)]
    public void Containers_may_nest_exactly_the_limit_and_not_one_level_more(int levels)
    {
        string ok = new string('[', levels - 1) + "{\"a\":1}" + new string(']', levels - 1);
        RawJson.Validate(Encoding.UTF8.GetBytes(ok), "properties", levels, objectOnly: false);

        string deep = new string('[', levels) + "{}" + new string(']', levels);
        var ex = Assert.Throws<ArgumentException>(() => RawJson.Validate(Encoding.UTF8.GetBytes(deep), "properties", levels, objectOnly: false, member: "k"));
        Assert.StartsWith($"properties.k: nested deeper than {PropertiesWriter.MaxDepth} levels (at byte {levels}).", ex.Message, StringComparison.Ordinal); // the first container past the limit
    }

    [Fact]
    public void At_the_last_level_a_value_may_be_a_scalar_but_not_a_container()
    {
        RawJson.Validate("1"u8, "properties", maxLevels: 0, objectOnly: false);
        var ex = Assert.Throws<ArgumentException>(() => RawJson.Validate("[]"u8, "properties", maxLevels: 0, objectOnly: false));
        Assert.Contains("nested deeper than 32 levels (at byte 0)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ten_thousand_levels_are_refused_at_the_thirty_third()
    {
        var deep = Encoding.UTF8.GetBytes(new string('[', 10_000) + new string(']', 10_000));
        var ex = Assert.Throws<ArgumentException>(() => RawJson.Validate(deep, "properties", maxLevels: 32, objectOnly: false));
        Assert.Contains("nested deeper than 32 levels (at byte 32)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"a\":\"\\ud800\"}", true)]
    [InlineData("{\"\\uDBFF\":1}", true)] // in a name too
    [InlineData("{\"a\":[\"x\\udfff\"]}", true)]
    [InlineData("{\"a\":\"\\udc00\\ud800\"}", true)] // low then high: two lone ones
    [InlineData("{\"a\":\"\\ud83d\\ude00\"}", false)] // a pair is a character
    [InlineData("{\"a\":\"\\ud7ff\\ue000\\u00e9\\n\"}", false)] // escapes around the surrogate range
    [InlineData("{\"a\":\"\\\\ud800\"}", false)] // a backslash, then "ud800" as text
    [InlineData("{\"a\":\"é€😀\"}", false)] // non-ASCII characters as UTF-8, not escaped
    public void Only_texts_with_a_lone_surrogate_escape_are_repaired(string json, bool repaired)
        => Assert.Equal(repaired, RawJson.Validate(Encoding.UTF8.GetBytes(json), "properties"));

    [Fact]
    public async Task A_refusal_through_the_engine_names_the_field_and_the_byte()
    {
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        var ex = Assert.Throws<ArgumentException>(() => engine.TrackJson("u", "e", "{\"a\":1,}"u8));
        Assert.Equal("properties", ex.ParamName);
        Assert.Matches(@"^properties: not valid JSON \(.*trailing comma.*, at byte 7\)", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => engine.TrackJson("u", "e", "{}"u8, "{\"a\":\"x\ny\"}"u8));
        Assert.Equal("context", ex.ParamName);
        Assert.Matches(@"^context: not valid JSON \(.*0x0A.*, at byte 7\)", ex.Message);
        Assert.Equal(0, engine.GetCounters().Accepted);
    }

    [Fact]
    public void Generated_documents_within_the_limit_pass()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), Prop.ForAll(Arb.From(Document(4)), text =>
        {
            RawJson.Validate(Encoding.UTF8.GetBytes(text), "properties", maxLevels: 6, objectOnly: false);
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

    /// <summary>N from "…, at byte N)".</summary>
    private static int ByteOf(ArgumentException ex)
    {
        const string Marker = "at byte ";
        int start = ex.Message.LastIndexOf(Marker, StringComparison.Ordinal) + Marker.Length;
        int end = ex.Message.IndexOf(')', start);
        return int.Parse(ex.Message.AsSpan(start, end - start), CultureInfo.InvariantCulture);
    }
}
