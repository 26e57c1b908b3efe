using System.Text;
using Sluice.Delivery.Transports.Http;

namespace Sluice.Tests.Delivery.Transports.Http;

/// <summary>What is read from a reply body: each field where it is, wherever it sits among others, and text a person can read.</summary>
public class ReplyBodyTests
{
    private static ReplyBody Parse(string body) => ReplyBody.Parse(Encoding.UTF8.GetBytes(body));

    [Theory]
    [InlineData("""{"message":"m"}""", "m")]
    [InlineData("""{"error":"e"}""", "e")]
    [InlineData("""{"error":"e","message":"m"}""", "m")]           // the message wins over the error
    [InlineData("""{"message":"m","error":"e"}""", "m")]
    [InlineData("""{"documentation":"https://docs.example.com/track"}""", "see https://docs.example.com/track")]
    [InlineData("""{"message":"m","documentation":"https://d"}""", "m (see https://d)")]
    [InlineData("""{"error":null,"message":null}""", null)]
    public void The_summary_is_the_message_or_error_with_the_documentation_link(string body, string? summary) =>
        Assert.Equal(summary, Parse(body).Summary);

    [Theory]
    [InlineData("""{"details":{"message":"inner","success":false},"message":"outer"}""")]
    [InlineData("""{"details":[{"message":"inner"}],"message":"outer"}""")]
    [InlineData("""{"success":{"message":"inner"},"message":"outer"}""")]
    [InlineData("""{"success":[true,{"message":"inner"}],"message":"outer"}""")]
    [InlineData("""{"x\udd0e":{"message":"inner"},"message":"outer"}""")]         // a name with a lone surrogate
    [InlineData("""{"x\udd0e":"inner","message":"outer"}""")]
    public void Members_are_read_at_the_top_level_only_whatever_comes_before_them(string body)
    {
        var reply = Parse(body);
        Assert.Equal("outer", reply.Message);
        Assert.Null(reply.Success);
    }

    [Theory]
    [InlineData("""{"message":"outer","details":{"success":false,"message":"inn""")]
    [InlineData("""{"message":"outer","details":[{"success":false},{"message":"inn""")]
    [InlineData("""{"message":"outer","warnings":[{"success":false,"message":"inn""")]
    public void In_a_cut_reply_a_value_the_cut_runs_through_ends_the_reading(string body)
    {
        // The reader is left inside that value: its members are not the reply's.
        var reply = ReplyBody.Parse(Encoding.UTF8.GetBytes(body), cut: true);
        Assert.Equal("outer", reply.Message);
        Assert.Null(reply.Success);
    }

    [Fact]
    public void A_member_name_written_with_escapes_is_still_that_member() =>
        Assert.Equal("escaped name", Parse("""{"mess\u0061ge":"escaped name","succ\u0065ss":false}""").Message);

    [Theory]
    [InlineData("""{"message":"m",}""")]                       // a trailing comma
    [InlineData("""{"message": /* why */ "m"}""")]             // a comment
    public void Lenient_JSON_is_still_read_as_JSON(string body) => Assert.Equal("m", Parse(body).Message);

    [Theory]
    [InlineData("[1,2,3]")]
    [InlineData("\"just a string\"")]
    [InlineData("42")]
    public void A_JSON_value_that_is_not_an_object_is_quoted_as_text(string body)
    {
        var reply = Parse(body);
        Assert.Equal(body, reply.Text);
        Assert.Equal(body, reply.Summary);
        Assert.Null(reply.Message);
    }

    [Fact]
    public void A_message_on_several_lines_is_put_on_one()
    {
        Assert.Equal("line one line two line three", Parse("""{"message":"line one\nline two\r\nline three"}""").Message);
        Assert.Equal("a b", Parse("a\r\nb").Text);
    }

    [Theory]
    [InlineData("<p>Service</p><p>unavailable</p>", "Service unavailable")]
    [InlineData("<p>Down<script>var x;</script>time</p>", "Down time")]
    [InlineData("<html><head><title>Gateway</title></head><body><h1>Bad</h1><style>h1{}</style>gateway</body></html>", "Gateway Bad gateway")]
    public void Tags_and_hidden_elements_separate_the_words_they_stood_between(string body, string text) => Assert.Equal(text, Parse(body).Text);

    [Fact]
    public void An_error_pages_text_after_kilobytes_of_markup_is_found_within_8_KB()
    {
        string head = "<html><head><style>" + new string('x', 4_000) + "</style></head><body>";
        Assert.Equal("Service down", Parse(head + "<p>Service down</p></body></html>").Text);
        Assert.Equal("…", Parse(head + new string(' ', 8 * 1024) + "<p>Service down</p></body></html>").Text); // past 8 KB: not read, only the cut is shown
    }

    [Theory]
    [InlineData(100, 100)]
    [InlineData(101, 100)]
    [InlineData(1, 1)]
    public void At_most_100_warnings_are_kept(int count, int kept)
    {
        var body = "{\"warnings\":[" + string.Join(',', Enumerable.Range(0, count).Select(i => $"\"w{i}\"")) + "]}";
        var warnings = Parse(body).Warnings;
        Assert.NotNull(warnings);
        Assert.Equal(Enumerable.Range(0, kept).Select(i => $"w{i}"), warnings);
    }

    [Theory]
    [InlineData("""{"warnings":[]}""")]
    [InlineData("""{"warnings":[null]}""")]
    [InlineData("""{"warnings":null}""")]
    public void No_warnings_are_none(string body) => Assert.Null(Parse(body).Warnings);
}
