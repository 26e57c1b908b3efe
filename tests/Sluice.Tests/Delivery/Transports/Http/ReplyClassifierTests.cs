using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Sluice.Delivery;
using Sluice.Delivery.Transports.Http;

namespace Sluice.Tests.Delivery.Transports.Http;

public class ReplyClassifierTests
{
    private static readonly DateTimeOffset Now = new(2024, 10, 20, 15, 51, 35, TimeSpan.Zero);

    private static SendResult Classify(int status, string body = "", string? retryAfter = null) =>
        ReplyClassifier.Classify(status, retryAfter, Encoding.UTF8.GetBytes(body), Now);

    [Fact]
    public void A_ThriveStack_success_is_delivered_with_its_response_id()
    {
        // Spec 001's example reply.
        var result = Classify(200, """{"success": true, "response_id": "7e51e59e-abf7-4610-858c-d759dd2d1a06", "message": "Event tracked successfully"}""");
        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        Assert.Equal("7e51e59e-abf7-4610-858c-d759dd2d1a06", result.ResponseId);
        Assert.Null(result.Warnings);
    }

    [Fact]
    public void Warnings_of_an_accepted_batch_are_returned_with_the_response_id()
    {
        // Spec 000's reply fields: warnings (array) and documentation.
        var result = Classify(200, """{"success":true,"response_id":"8e51e59e","message":"Page(s) tracked successfully","warnings":["page_url is not a URL",{"field":"x"}],"documentation":"https://docs.app.thrivestack.ai/page"}""");
        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        Assert.Equal("8e51e59e", result.ResponseId);
        Assert.Equal(["page_url is not a URL", """{"field":"x"}"""], result.Warnings);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(202)]
    public void A_2xx_with_success_false_is_a_failure_to_retry_not_a_delivery(int status)
    {
        var result = Classify(status, """{"success":false,"message":"Failed to track the event(s) due to an error.","response_id":"db78083b"}""");
        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Contains("Failed to track the event(s) due to an error.", result.Message, StringComparison.Ordinal);
        Assert.Equal("db78083b", result.ResponseId);
    }

    [Theory]
    [InlineData(200, "")]                      // no body
    [InlineData(204, "")]
    [InlineData(200, """{"success":true}""")] // Segment
    [InlineData(200, """{"updated":0}""")]    // PrimeData, spec 004
    [InlineData(200, "OK")]                    // not JSON
    [InlineData(200, """{"success":"false"}""")] // not a boolean: not a refusal
    public void Other_2xx_replies_are_deliveries(int status, string body) =>
        Assert.Equal(SendOutcome.Delivered, Classify(status, body).Outcome);

    [Fact]
    public void A_400_is_rejected_with_the_servers_message()
    {
        var result = Classify(400, """{"success":false,"response_id":"r1","message":"Event 3 (user_id \"u\"): event_name is required."}""");
        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.Equal(400, result.StatusCode);
        Assert.Equal("Event 3 (user_id \"u\"): event_name is required.", result.Message);
        Assert.Equal("r1", result.ResponseId);
    }

    [Theory]
    [InlineData(401, SendOutcome.Unauthorized)]
    [InlineData(403, SendOutcome.Unauthorized)]
    [InlineData(413, SendOutcome.TooLarge)]
    [InlineData(422, SendOutcome.Rejected)]
    [InlineData(408, SendOutcome.Retry)]
    [InlineData(425, SendOutcome.Retry)] // Too Early: RFC 8470 §5.2, the request may be retried
    [InlineData(429, SendOutcome.Retry)]
    [InlineData(500, SendOutcome.Retry)]
    [InlineData(502, SendOutcome.Retry)]
    [InlineData(503, SendOutcome.Retry)]
    [InlineData(599, SendOutcome.Retry)]
    [InlineData(404, SendOutcome.Failed)]
    [InlineData(405, SendOutcome.Failed)]
    [InlineData(411, SendOutcome.Failed)] // Length Required: the server never read the events, so they are not "rejected"
    [InlineData(301, SendOutcome.Failed)]
    [InlineData(307, SendOutcome.Failed)]
    [InlineData(101, SendOutcome.Failed)]
    [InlineData(0, SendOutcome.Failed)]
    [InlineData(600, SendOutcome.Failed)]
    [InlineData(-1, SendOutcome.Failed)]
    public void Every_status_class_has_its_outcome(int status, SendOutcome outcome)
    {
        var result = Classify(status, """{"message":"m"}""");
        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(status, result.StatusCode);
        Assert.Contains("m", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(199, SendOutcome.Failed)]
    [InlineData(299, SendOutcome.Delivered)]
    [InlineData(300, SendOutcome.Failed)]
    [InlineData(399, SendOutcome.Failed)]
    [InlineData(499, SendOutcome.Failed)]
    [InlineData(500, SendOutcome.Retry)]
    public void Each_status_class_ends_where_it_should(int status, SendOutcome outcome)
    {
        var result = Classify(status, """{"message":"m"}""");
        Assert.Equal(outcome, result.Outcome);
        Assert.Equal(status is >= 300 and <= 399 ? $"redirect not followed ({status}): m" : status == 299 ? null : "m", result.Message);
    }

    [Theory]
    [InlineData(200, """{"success":true}""")]
    [InlineData(204, "")]
    public void A_delivery_carries_the_status_the_server_answered(int status, string body)
    {
        // Found: a delivery without a response id or warnings had no status, so its request metric had no http.response.status_code.
        var result = Classify(status, body);
        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        Assert.Equal(status, result.StatusCode);
        Assert.Equal(SendFailure.None, result.Failure);
    }

    [Fact]
    public void Warnings_without_a_response_id_are_still_returned()
    {
        var result = Classify(202, """{"warnings":"timestamp is in the future"}""");
        Assert.Equal(SendOutcome.Delivered, result.Outcome);
        Assert.Equal(["timestamp is in the future"], result.Warnings);
        Assert.Equal(202, result.StatusCode);
        Assert.Null(result.ResponseId);
    }

    [Fact]
    public void A_2xx_with_success_false_says_so_with_its_status_and_honours_Retry_After()
    {
        var result = Classify(202, """{"success":false,"message":"busy"}""", "12");
        Assert.Equal(SendOutcome.Retry, result.Outcome);
        Assert.Equal("the server answered 202 with success: false: busy", result.Message);
        Assert.Equal(202, result.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(12), result.RetryAfter);
    }

    [Theory]
    [InlineData(429, "30", 30)]
    [InlineData(503, "Sun, 20 Oct 2024 15:52:35 GMT", 60)]
    [InlineData(500, "soon", null)]
    [InlineData(429, null, null)]
    public void Retry_After_is_read_on_transient_failures(int status, string? header, int? seconds) =>
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, Classify(status, "", header).RetryAfter);

    /// <summary>RFC 9110 §15.5.14: a 413 with Retry-After says its condition is temporary, not that the body is too large for good.</summary>
    [Theory]
    [InlineData("30", SendOutcome.Retry, 30)]
    [InlineData("0", SendOutcome.Retry, 0)]
    [InlineData(null, SendOutcome.TooLarge, null)]
    [InlineData("soon", SendOutcome.TooLarge, null)] // not a Retry-After: as if there were none
    public void A_413_with_a_Retry_After_is_transient(string? header, SendOutcome outcome, int? seconds)
    {
        var result = Classify(413, """{"message":"quota"}""", header);
        Assert.Equal((outcome, 413, "quota"), (result.Outcome, result.StatusCode, result.Message));
        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, result.RetryAfter);
    }

    [Fact]
    public void A_proxys_HTML_page_is_quoted_as_plain_text_on_one_line()
    {
        var result = Classify(413, "<html><head><title>413 Request Entity Too Large</title></head>\n<body>nginx</body></html>\n");
        Assert.Equal(SendOutcome.TooLarge, result.Outcome);
        Assert.Equal("413 Request Entity Too Large nginx", result.Message);
        Assert.Equal("413 Request Entity Too Large nginx", result.Cause); // the status is not repeated
    }

    [Fact]
    public void Nginxs_413_page_says_what_it_says_once()
    {
        // What nginx answers over client_max_body_size, byte for byte.
        const string page = "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n";
        Assert.Equal("413 Request Entity Too Large nginx/1.24.0", Classify(413, page).Message);
    }

    [Theory]
    [InlineData("<!DOCTYPE html><html><head><style>body { color: red }</style><script>var x = '<b>';</script></head><body><p>Bad&nbsp;gateway &amp; more</p></body></html>", "Bad gateway & more")]
    [InlineData("  <p>Service <b>unavailable</b></p>", "Service unavailable")]
    [InlineData("<html><body><!-- a comment --><div>Down for\n\n  maintenance</div>", "Down for maintenance")]
    [InlineData("<p>cut in a tag <a href=\"x", "cut in a tag")]
    public void Markup_is_stripped_to_its_text_with_whitespace_collapsed(string body, string text) => Assert.Equal(text, Classify(502, body).Message);

    [Fact]
    public void A_long_markup_body_is_capped_without_splitting_a_character()
    {
        string body = "<html><body><p>" + string.Concat(Enumerable.Repeat("é€😀 ", 400)) + "</p></body></html>";
        string message = Classify(503, body).Message!;
        Assert.EndsWith("…", message, StringComparison.Ordinal);
        Assert.True(message.Length <= ReplyBody.MaxTextChars + 1);
        Assert.False(char.IsHighSurrogate(message[^2]), "a surrogate pair was cut");
        Assert.DoesNotContain('\uFFFD', message);
    }

    [Fact]
    public void A_text_body_cut_in_the_middle_of_a_character_drops_the_character_instead_of_mangling_it()
    {
        // 199 "€" (3 bytes each) and an "a" fill 598 bytes: the 600-byte cut falls inside the next "€".
        byte[] body = [.. Encoding.UTF8.GetBytes(new string('€', 199) + "a€ and more")];
        var result = ReplyClassifier.Classify(503, null, body, Now);
        Assert.Equal(new string('€', 199) + "a…", result.Message);
    }

    [Theory]
    [InlineData("{\"message\":")]                   // truncated
    [InlineData("{\"message\":\"\\uZZZZ\"}")]      // bad escape
    [InlineData("[1,2,3]")]                         // not an object
    [InlineData("{\"message\":{\"deep\":[1,{\"x\":2}]}}")]
    [InlineData("\"just a string\"")]
    [InlineData("{\"success\":false")]              // truncated
    public void Malformed_bodies_are_quoted_never_thrown(string body)
    {
        var result = Classify(400, body);
        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.False(string.IsNullOrEmpty(result.Message));
    }

    [Fact]
    public void Nested_values_are_bounded_and_deep_nesting_does_not_throw()
    {
        string deep = new string('[', 10_000) + new string(']', 10_000);
        var result = Classify(400, "{\"message\":" + deep + "}");
        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.True(result.Message!.Length <= 301, result.Message.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Invalid_UTF8_is_replaced_not_thrown()
    {
        byte[] body = [(byte)'{', (byte)'"', (byte)'m', (byte)'e', (byte)'s', (byte)'s', (byte)'a', (byte)'g', (byte)'e', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}'];
        var result = ReplyClassifier.Classify(400, null, body, Now);
        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.NotNull(result.Message);
    }

    [Fact]
    public void Classify_Meets_Specification()
    {
        // Any status, Retry-After and body: never throws, always a documented outcome, waits within [0, 1 day],
        // and only transient failures carry a wait.
        var property = Prop.ForAll(
            ArbMap.Default.ArbFor<(int, string?, byte[])>(),
            input =>
            {
                var (status, retryAfter, body) = input;
                status = status % 2 == 0 ? status : 100 + Math.Abs(status % 520);
                var result = ReplyClassifier.Classify(status, retryAfter, body ?? [], Now);
                bool documented = Enum.IsDefined(result.Outcome);
                bool waitOk = result.RetryAfter is not { } w || (w >= TimeSpan.Zero && w <= TimeSpan.FromDays(1) && result.Outcome == SendOutcome.Retry);
                return documented && waitOk && (result.Outcome == SendOutcome.Delivered || result.Message is not null);
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2_000), property);
    }
}
