using System.Text;
using Sluice.Collector;
using static Sluice.Tests.Support.CollectorRequests;

namespace Sluice.Tests.Delivery.Collector;

/// <summary>Field rules from the specs; a request with one invalid event is refused whole, with a message naming the event and the field.</summary>
public class CollectorValidationTests
{
    private const string Ts = Timestamp;

    public static TheoryData<CollectorApi, string, string> InvalidEvents => new()
    {
        // Spec 001 fields: user_id (Yes), event_name (Yes), timestamp (Yes, "UTC using the ISO 8601 format"), properties (Object, No), context (Object, No).
        { CollectorApi.ThriveStackTrack, $$"""{"event_name":"e","timestamp":"{{Ts}}"}""", "Event 0 (no user_id): user_id is required." },
        { CollectorApi.ThriveStackTrack, $$"""{"user_id":"","event_name":"e","timestamp":"{{Ts}}"}""", "Event 0 (user_id \"\"): user_id must be a non-empty string." },
        { CollectorApi.ThriveStackTrack, $$"""{"user_id":"u","timestamp":"{{Ts}}"}""", "Event 0 (user_id \"u\"): event_name is required." },
        // Whitespace alone is no id or name (Sluice refuses it at the call), whether raw, escaped or beyond ASCII.
        { CollectorApi.ThriveStackTrack, $$"""{"user_id":"u","event_name":"  ","timestamp":"{{Ts}}"}""", "Event 0 (user_id \"u\"): event_name must not be whitespace only." },
        { CollectorApi.ThriveStackTrack, $$"""{"user_id":"\t\u0020","event_name":"e","timestamp":"{{Ts}}"}""", "Event 0 (user_id \"\t \"): user_id must not be whitespace only." },
        { CollectorApi.ThriveStackTrack, $$"""{"user_id":"　","event_name":"e","timestamp":"{{Ts}}"}""", "Event 0 (user_id \"\u3000\"): user_id must not be whitespace only." },
        { CollectorApi.ThriveStackTrack, """{"user_id":"u","event_name":"e"}""", "Event 0 (user_id \"u\"): timestamp is required." },
        { CollectorApi.ThriveStackTrack, """{"user_id":"u","event_name":"e","timestamp":"2024-10-20 15:51"}""", "Event 0 (user_id \"u\"): timestamp must be an ISO 8601 date-time (was \"2024-10-20 15:51\")." },
        { CollectorApi.ThriveStackTrack, """{"user_id":"u","event_name":"e","timestamp":"2024-10-20T15:51:35+02:00"}""", "Event 0 (user_id \"u\"): timestamp must be in UTC (was \"2024-10-20T15:51:35+02:00\")." },
        { CollectorApi.ThriveStackTrack, $$"""{"user_id":"u","event_name":"e","timestamp":"{{Ts}}","properties":[1]}""", "Event 0 (user_id \"u\"): properties must be an object." },
        { CollectorApi.ThriveStackTrack, $$"""{"user_id":"u","event_name":"e","timestamp":"{{Ts}}","context":"web"}""", "Event 0 (user_id \"u\"): context must be an object." },
        { CollectorApi.ThriveStackTrack, $$"""{"user_id":"u","event":"e","timestamp":"{{Ts}}"}""", "Event 0 (user_id \"u\"): unknown field 'event'." },
        { CollectorApi.ThriveStackTrack, $$"""{"user_id":"u","user_id":"v","event_name":"e","timestamp":"{{Ts}}"}""", "Event 0 (user_id \"v\"): field 'user_id' appears twice." },
        // Spec 000: "You can send either a session_id or a user_id, but both cannot be included together. At least one of them must be provided."
        { CollectorApi.ThriveStackPage, $$"""{"user_id":"u","session_id":"s","timestamp":"{{Ts}}"}""", "Event 0 (user_id \"u\"): either session_id or user_id must be provided, but not both." },
        { CollectorApi.ThriveStackPage, $$"""{"timestamp":"{{Ts}}"}""", "Event 0 (no session_id): either session_id or user_id must be provided." },
        { CollectorApi.ThriveStackPage, """{"session_id":"s"}""", "Event 0 (session_id \"s\"): timestamp is required." },
        { CollectorApi.ThriveStackPage, $$"""{"session_id":"s","event_name":"e","timestamp":"{{Ts}}"}""", "Event 0 (session_id \"s\"): unknown field 'event_name'." },
        // Spec 003: type "Accepted values: page" (and track in a batch), name "Required The name of the page."
        { CollectorApi.Segment, $$"""{"type":"identify","userId":"u","messageId":"m"}""", "Event 0 (messageId \"m\"): type must be \"track\" or \"page\" (was \"identify\")." },
        { CollectorApi.Segment, $$"""{"type":"page","userId":"u","messageId":"m","timestamp":"{{Ts}}"}""", "Event 0 (messageId \"m\"): name is required." },
        { CollectorApi.Segment, $$"""{"type":"track","userId":"u","messageId":"m"}""", "Event 0 (messageId \"m\"): event is required." },
        { CollectorApi.Segment, """{"type":"track","event":"e","messageId":"m"}""", "Event 0 (messageId \"m\"): userId or anonymousId is required." },
        { CollectorApi.Segment, """{"type":"track","userId":"u","event":"e"}""", "Event 0 (no messageId): messageId is required." },
        { CollectorApi.Segment, """{"type":"track","userId":"u","event":"e","messageId":"m","timestamp":"yesterday"}""", "Event 0 (messageId \"m\"): timestamp must be an ISO 8601 date-time (was \"yesterday\")." },
        // Spec 004: scope "Should be exactly the same as the X-Client-ID".
        { CollectorApi.PrimeData, $$"""{"eventType":"view","sessionId":"s","scope":"other","timeStamp":"{{Ts}}"}""", "Event 0 (sessionId \"s\"): scope must be exactly the same as the X-Client-Id." },
        { CollectorApi.PrimeData, $$"""{"sessionId":"s","scope":"test-client-id","timeStamp":"{{Ts}}"}""", "Event 0 (sessionId \"s\"): eventType is required." },
        { CollectorApi.PrimeData, $$"""{"eventType":"view","scope":"test-client-id","timeStamp":"{{Ts}}"}""", "Event 0 (no sessionId): sessionId is required." },
        { CollectorApi.PrimeData, """{"eventType":"view","sessionId":"s","scope":"test-client-id"}""", "Event 0 (sessionId \"s\"): timeStamp is required." },
        { CollectorApi.PrimeData, $$"""{"eventType":"view","sessionId":"s","scope":"test-client-id","timeStamp":"{{Ts}}","source":"_"}""", "Event 0 (sessionId \"s\"): source must be an object." },
        // Spec 004's example: "source": { "itemId": "_", "itemType": "_" }.
        { CollectorApi.PrimeData, $$$"""{"eventType":"view","sessionId":"s","scope":"test-client-id","timeStamp":"{{{Ts}}}","target":{"itemId":"home"}}""", "Event 0 (sessionId \"s\"): target: itemType is required." },
        { CollectorApi.PrimeData, $$$"""{"eventType":"view","sessionId":"s","scope":"test-client-id","timeStamp":"{{{Ts}}}","source":{"itemId":"a","itemType":"b","id":1}}""", "Event 0 (sessionId \"s\"): source: unknown field 'id'." },
    };

    [Theory]
    [MemberData(nameof(InvalidEvents))]
    public async Task An_invalid_event_is_refused_with_a_400_naming_it(CollectorApi api, string invalidEvent, string message)
    {
        await using var collector = await ReferenceCollector.StartAsync();
        // The invalid event is second: the message must give its index in the body.
        string body = Body(api, [Event(api, 0), invalidEvent]);

        var (status, reply, _) = await PostAsync(collector, api, body);

        Assert.Equal(400, status);
        Assert.Equal(message.Replace("Event 0", "Event 1", StringComparison.Ordinal), CollectorLimitTests.MessageOf(reply));
        Assert.Equal(0, collector.Received(api).EventCount);
    }

    [Theory]
    [InlineData("2024-10-20T15:51:35Z", true, true)]
    [InlineData("2024-10-20T15:51:35.1Z", true, true)]
    [InlineData("2024-10-20T15:51:35.123456789Z", true, true)]
    [InlineData("2024-10-20T15:51:35.059000+00:00", true, true)]
    [InlineData("2024-10-20T15:51:35.059000-00:00", true, false)]
    [InlineData("2024-10-20T15:51:35.059000-00:00", false, true)]
    [InlineData("2021-10-15T18:49:00+07:00", false, true)]
    [InlineData("2021-10-15T18:49:00-03:30", false, true)]
    [InlineData("2021-10-15T18:49:00+07:00", true, false)]
    [InlineData("2024-10-20T15:51:35", false, false)]
    [InlineData("2024-10-20T15:51Z", false, false)]
    [InlineData("2024-10-20", false, false)]
    [InlineData("2024-13-20T15:51:35Z", false, false)]
    [InlineData("2024-10-20T15:51:35.Z", false, false)]
    [InlineData("2024-10-20T15:51:35.1234567890Z", false, false)]
    [InlineData("2024-10-20t15:51:35Z", false, false)]
    [InlineData(" 2024-10-20T15:51:35Z", false, false)]
    [InlineData("20-11-23T22:28:55.111Z", false, false)]
    public async Task Timestamps_must_be_ISO_8601_with_seconds_and_an_offset(string timestamp, bool utcRequired, bool valid)
    {
        // Spec 001: "The event timestamp in UTC using the ISO 8601 format"; spec 004: timeStamp "ISO 8601 datetime format" ("2021-10-15T18:49:00+07:00").
        await using var collector = await ReferenceCollector.StartAsync();
        var api = utcRequired ? CollectorApi.ThriveStackTrack : CollectorApi.PrimeData;
        string e = Event(api, 0).Replace(Timestamp, timestamp, StringComparison.Ordinal);

        var (status, reply, _) = await PostAsync(collector, api, Body(api, [e]));

        Assert.True((status == 200) == valid, reply);
    }

    [Theory]
    [InlineData(CollectorApi.ThriveStackTrack, "{}", "The body must be a JSON array of events.")]
    [InlineData(CollectorApi.ThriveStackPage, "[]", "The body holds no events.")]
    [InlineData(CollectorApi.Segment, "[]", "The body must be an object with a \"batch\" array.")]
    [InlineData(CollectorApi.Segment, """{"batch":[{"type":"track","userId":"u","event":"e","messageId":"m"}],"sentAt":"now"}""", "sentAt must be an ISO 8601 date-time (was \"now\")")]
    [InlineData(CollectorApi.PrimeData, """{"batch":[]}""", "The body must be an object with an \"events\" array.")]
    [InlineData(CollectorApi.ThriveStackTrack, "[1]", "Event 0 (no user_id): must be a JSON object.")]
    [InlineData(CollectorApi.Segment, """{"batch":[],"batch":[{"type":"track","userId":"u","event":"e","messageId":"m"}]}""", "The body: field 'batch' appears twice.")]
    [InlineData(CollectorApi.Segment, """{"batch":[{"type":"track","userId":"u","event":"e","messageId":"m"}],"writeKey":"k"}""", "The body: unknown field 'writeKey'.")]
    [InlineData(CollectorApi.PrimeData, """{"events":[{"eventType":"view","sessionId":"s","scope":"test-client-id","timeStamp":"2024-10-20T15:51:35Z"}],"sentAt":"2024-10-20T15:51:35Z"}""", "The body: unknown field 'sentAt'.")]
    public async Task A_malformed_envelope_is_refused_with_a_400(CollectorApi api, string body, string message)
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var (status, reply, _) = await PostAsync(collector, api, body);

        Assert.Equal(400, status);
        Assert.Equal(message, CollectorLimitTests.MessageOf(reply));
    }

    [Fact]
    public async Task Invalid_JSON_is_refused_with_a_400()
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var (status, reply, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, """[{"user_id":"u",""");

        Assert.Equal(400, status);
        Assert.StartsWith("The body is not valid JSON:", CollectorLimitTests.MessageOf(reply), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_is_not_declared_JSON_is_refused_with_a_400()
    {
        // Spec 000/001 headers: "Content-Type: application/json".
        await using var collector = await ReferenceCollector.StartAsync();
        using var request = Request(collector, CollectorApi.ThriveStackTrack, Body(CollectorApi.ThriveStackTrack, 1));
        request.Content!.Headers.ContentType = new("text/plain");

        var (status, reply, _) = await SendAsync(request);

        Assert.Equal(400, status);
        Assert.Equal("Content-Type must be application/json (was \"text/plain\").", CollectorLimitTests.MessageOf(reply));
    }

    [Theory]
    [InlineData("""{"user_id":"\ud800","event_name":"e","timestamp":"2024-10-20T15:51:35Z"}""", "a string escapes half a surrogate pair (not Unicode text), at byte 12")]
    [InlineData("""{"user_id":"u","event_name":"e","timestamp":"2024-10-20T15:51:35Z","properties":{"\udc00x":1}}""", "a string escapes half a surrogate pair (not Unicode text), at byte 82")]
    [InlineData("""{"user_id":"u","event_name":"e","timestamp":"2024-10-20T15:51:35Z","properties":{"n":1e400}}""", "the number 1e400 is beyond the range of a double, at byte 86")]
    [InlineData("""{"user_id":"u","event_name":"e","timestamp":"2024-10-20T15:51:35Z","properties":{"n":[-2E+308]}}""", "the number -2E+308 is beyond the range of a double, at byte 87")]
    public async Task Text_a_strict_reader_refuses_is_refused_with_a_400_although_it_is_JSON_grammar(string e, string problem)
    {
        // Found: "\ud800" and 1e400 were accepted, while System.Text.Json cannot read the first as a string and Go's
        // decoder refuses the second: a strict server would have refused the whole batch that tests saw delivered.
        await using var collector = await ReferenceCollector.StartAsync();

        var (status, reply, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, "[" + e + "]");

        Assert.Equal(400, status);
        Assert.Equal("The body is not valid JSON text: " + problem + ".", CollectorLimitTests.MessageOf(reply));
    }

    [Theory]
    [InlineData("\"\\ud83d\\ude00 a pair\"")]
    [InlineData("\"\\\\ud800 an escaped backslash\"")]
    [InlineData("1e-400")]
    [InlineData("1.7976931348623157e308")]
    [InlineData("-9223372036854775808")]
    [InlineData("18446744073709551616")]
    public async Task Text_a_strict_reader_reads_is_accepted(string value)
    {
        await using var collector = await ReferenceCollector.StartAsync();
        string e = $$$"""{"user_id":"u","event_name":"e","timestamp":"2024-10-20T15:51:35Z","properties":{"v":{{{value}}}}}""";

        var (status, reply, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, "[" + e + "]");

        Assert.True(status == 200, reply);
    }

    [Fact]
    public async Task A_body_that_is_not_UTF_8_is_refused_with_a_400()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        byte[] body = Encoding.UTF8.GetBytes("""[{"user_id":"u?","event_name":"e","timestamp":"2024-10-20T15:51:35Z"}]""");
        body[Array.IndexOf(body, (byte)'?')] = 0xFF;
        using var request = Request(collector, CollectorApi.ThriveStackTrack, "[]");
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new("application/json");

        var (status, reply, _) = await SendAsync(request);

        Assert.Equal(400, status);
        Assert.Equal("The body is not valid UTF-8.", CollectorLimitTests.MessageOf(reply));
    }

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("application/json; charset=utf-8", true)]
    [InlineData("Application/JSON; charset=\"UTF-8\"", true)]
    [InlineData("application/jsonp", false)]
    [InlineData("application/json-patch+json", false)]
    [InlineData("application/json; charset=utf-16", false)]
    public async Task The_content_type_is_JSON_in_UTF_8(string contentType, bool accepted)
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var request = Request(collector, CollectorApi.ThriveStackTrack, Body(CollectorApi.ThriveStackTrack, 1));
        request.Content!.Headers.Remove("Content-Type");
        Assert.True(request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType));

        var (status, reply, _) = await SendAsync(request);

        Assert.True((status == 200) == accepted, reply);
    }

    [Fact]
    public async Task The_spec_examples_are_accepted()
    {
        await using var collector = await ReferenceCollector.StartAsync();

        // Spec 000's JSON example (session) and cURL example (user).
        var (page, _, _) = await PostAsync(collector, CollectorApi.ThriveStackPage, """
            [{"session_id": "1rwttH3IN", "properties": {"page_name": "Homepage", "page_url": "https://example.com/homepage"},
              "context": {"browser": "Chrome", "os": "Windows"}, "timestamp": "2024-10-20T15:51:35.059000Z"},
             {"user_id": "0rwtoH3IN", "properties": {"page_name": "Homepage", "page_url": "https://example.com/homepage"},
              "context": {"browser": "Chrome", "os": "Windows"}, "timestamp": "2024-10-20T15:51:35.059000Z"}]
            """);
        // Spec 001's example, with a well-formed timestamp (the spec's "20-11-23T22:28:55.111Z" is not ISO 8601).
        var (track, _, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, """
            [{"event_name": "signed_up", "properties": {"email": "JohnDoe@acmelabs.com", "name": "John Doe", "first name": "John", "last name": "Doe"},
              "user_id": "3e474abe-5943-41fd-8b7b-4c87ad95b0c7", "timestamp": "2020-11-23T22:28:55.111Z",
              "context": {"group_id": "55444abe-41fd-5943-d95b-4c87ad95b674"}}]
            """);
        // Spec 003's full payload, in a batch.
        var (segment, _, _) = await PostAsync(collector, CollectorApi.Segment, """
            {"batch": [{"userId": "97980cfea0067", "type": "page", "name": "Home",
              "properties": {"category": "string", "url": "https://www.example.com/page", "title": "Welcome | ACME, Inc.", "path": "/page"},
              "integrations": {"All": true}, "messageId": "022bb90c-bbac-11e4-8dfc-aa07a5b093db", "receivedAt": "2015-02-23T22:28:55.387Z",
              "sentAt": "2015-02-23T22:28:55.111Z", "timestamp": "2015-02-23T22:28:55.111Z", "version": 1.1,
              "context": {"active": true, "ip": "8.8.8.8"}, "anonymousId": "507f191e810c19729de860ea", "channel": "browser"}],
             "sentAt": "2015-02-23T22:28:55.111Z"}
            """);
        // Spec 004's cURL example (with a string session id and the collector's client id).
        var (prime, _, _) = await PostAsync(collector, CollectorApi.PrimeData, """
            {"events": [{"eventType": "view", "sessionId": "d6f5c3a2", "properties": {}, "scope": "test-client-id",
              "timeStamp": "2021-10-15T18:49:00+07:00", "source": {"itemId": "_", "itemType": "_"}, "target": {"itemId": "_", "itemType": "_"}}]}
            """);

        Assert.Equal([200, 200, 200, 200], new[] { page, track, segment, prime });
        Assert.Equal(2, collector.Received(CollectorApi.ThriveStackPage).EventCount);
        Assert.Equal("2015-02-23T22:28:55.111Z", Assert.Single(collector.Received(CollectorApi.Segment).Requests).SentAt);
    }
}
