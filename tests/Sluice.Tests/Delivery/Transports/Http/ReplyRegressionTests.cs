using System.Text;
using Sluice.Delivery;
using Sluice.Delivery.Transports.Http;

namespace Sluice.Tests.Delivery.Transports.Http;

/// <summary>Replies the fuzzer's server-reply target made Sluice misread, each named after what broke.</summary>
public class ReplyRegressionTests
{
    private static readonly DateTimeOffset Now = new(2024, 10, 20, 15, 51, 35, TimeSpan.Zero);

    [Theory]
    [InlineData("""{"success": false, "message": "bad byte: ~"}""")]                   // '~' becomes an invalid UTF-8 byte below
    [InlineData("""{"success": false, "message": "\ud800 lone surrogate"}""")]
    [InlineData("""{"success": false, "suc\udd0e": 1, "message": "lone surrogate in a name"}""")]
    public void A_2xx_saying_success_false_is_a_retry_even_with_a_string_that_cannot_be_decoded(string body)
    {
        // Found: reading such a string threw inside ReplyBody, which then dropped everything it had read:
        // "success": false was lost and the batch counted as delivered.
        var bytes = Encoding.UTF8.GetBytes(body).Select(b => b == (byte)'~' ? (byte)0x9E : b).ToArray();
        var result = ReplyClassifier.Classify(202, null, bytes, Now);
        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.NotNull(result.Message);
    }

    [Fact]
    public void A_2xx_saying_success_false_is_a_retry_even_with_a_deeply_nested_detail()
    {
        // Found: past 64 levels the reader gave up, so "success": false was lost.
        var body = "{\"success\": false, \"details\": " + new string('[', 70) + new string(']', 70) + "}";
        Assert.Equal(SendOutcome.Retry, ReplyClassifier.Classify(200, null, Encoding.UTF8.GetBytes(body), Now).Outcome);
    }

    [Fact]
    public void An_RFC_850_date_with_a_two_digit_year_up_to_50_years_ahead_is_in_the_future()
    {
        // Found: "-56" was read as 1956 (RFC 9110 §5.6.7 says 2056 here), and its weekday then no longer
        // matched, so the header was ignored and the retry came at once.
        Assert.Equal(RetryAfterHeader.Ceiling, RetryAfterHeader.Parse("Wednesday, 28-Jun-56 17:38:15 GMT", Now));
        Assert.Equal(TimeSpan.Zero, RetryAfterHeader.Parse("Sunday, 06-Nov-94 08:49:37 GMT", Now)); // 1994: the past
        Assert.Equal(TimeSpan.FromHours(1), RetryAfterHeader.Parse("Sunday, 20-Oct-24 16:51:35 GMT", Now));
    }

    [Fact]
    public void Leading_zeros_do_not_make_delta_seconds_a_day()
    {
        // Found: eleven characters were taken for a value too large to represent.
        Assert.Equal(TimeSpan.FromSeconds(120), RetryAfterHeader.Parse("00000000120", Now));
        Assert.Equal(TimeSpan.Zero, RetryAfterHeader.Parse("0000000000000", Now));
    }

    [Fact]
    public void A_failure_with_a_blank_body_still_says_what_happened()
    {
        // Found: a body of spaces gave an empty message.
        Assert.Equal("HTTP 503", ReplyClassifier.Classify(503, null, "  \r\n "u8, Now).Message);
    }

    [Fact]
    public void A_warning_that_is_a_huge_number_is_shortened()
    {
        // Found: non-string warnings were quoted whole.
        var body = "{\"success\": true, \"warnings\": " + new string('9', 5000) + "}";
        var warning = Assert.Single(ReplyClassifier.Classify(200, null, Encoding.UTF8.GetBytes(body), Now).Warnings!);
        Assert.True(warning.Length <= ReplyBody.MaxTextChars + 1, $"{warning.Length} characters");
    }
}
