using System.Text.Json;
using Sluice.Collector;
using Sluice.Tests.Support;
using static Sluice.Tests.Support.CollectorRequests;

namespace Sluice.Tests.Delivery.Collector;

public class CollectorAuthTests
{
    public static TheoryData<CollectorApi> Apis => [.. Enum.GetValues<CollectorApi>()];

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task The_right_credential_is_accepted_and_the_events_recorded(CollectorApi api)
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var (status, _, _) = await PostAsync(collector, api, Body(api, 3));

        Assert.Equal(200, status);
        var received = collector.Received(api);
        Assert.Equal(3, received.EventCount);
        Assert.Equal(1, received.AcceptedRequests);
        Assert.Equal(["0", "1", "2"], received.Events.Select(e => IdOf(api, e)[1..]));
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_wrong_credential_is_refused_with_401_and_nothing_recorded(CollectorApi api)
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var (status, body, _) = await PostAsync(collector, api, Body(api, 1), credential: "wrong");

        Assert.Equal(401, status);
        Assert.Contains("invalid", JsonDocument.Parse(body).RootElement.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, collector.Received(api).EventCount);
        Assert.Equal(1, collector.Received(api).CountStatus(401));
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_request_without_credentials_is_refused_with_401(CollectorApi api)
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var request = Request(collector, api, Body(api, 1));
        request.Headers.Authorization = null;
        request.Headers.Remove("x-api-key");
        request.Headers.Remove("X-Client-Access-Token");

        var (status, _, _) = await SendAsync(request);

        Assert.Equal(401, status);
    }

    [Fact]
    public async Task Each_ThriveStack_credential_opens_only_its_own_API()
    {
        // Spec 001: "Authorization: Bearer <token>"; spec 000: "x-api-key: API Key for authentication".
        await using var collector = await ReferenceCollector.StartAsync();

        var (trackWithPageKey, _, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, Body(CollectorApi.ThriveStackTrack, 1), collector.Credentials.PageApiKey);
        var (pageWithToken, _, _) = await PostAsync(collector, CollectorApi.ThriveStackPage, Body(CollectorApi.ThriveStackPage, 1), collector.Credentials.TrackToken);

        Assert.Equal(401, trackWithPageKey);
        Assert.Equal(401, pageWithToken);
    }

    [Fact]
    public async Task PrimeData_needs_the_client_id_as_well_as_the_token()
    {
        // Spec 004: "These are the two mandatory headers to authenticate against Tracking API: X-Client-ID, X-Client-Access-Token".
        await using var collector = await ReferenceCollector.StartAsync();
        using var request = Request(collector, CollectorApi.PrimeData, Body(CollectorApi.PrimeData, 1));
        request.Headers.Remove("X-Client-Id");
        request.Headers.Add("X-Client-Id", "someone-else");

        var (status, _, _) = await SendAsync(request);

        Assert.Equal(401, status);
    }

    [Fact]
    public async Task Track_replies_as_spec_001_documents()
    {
        // Spec 001: {"success": true, "response_id": "7e51e59e-...", "message": "Event tracked successfully"}
        await using var collector = await ReferenceCollector.StartAsync();

        var (_, body, response) = await PostAsync(collector, CollectorApi.ThriveStackTrack, Body(CollectorApi.ThriveStackTrack, 1));

        var reply = JsonDocument.Parse(body).RootElement;
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(reply.GetProperty("success").GetBoolean());
        Assert.True(Guid.TryParse(reply.GetProperty("response_id").GetString(), out _));
        Assert.Equal("Event tracked successfully", reply.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Page_replies_as_spec_000_documents_with_its_documentation_link()
    {
        // Spec 000: {"success": true, "response_id": "8e51e59e-...", "message": "Page(s) tracked successfully", "documentation": "https://docs..."}
        await using var collector = await ReferenceCollector.StartAsync();

        var (_, body, _) = await PostAsync(collector, CollectorApi.ThriveStackPage, Body(CollectorApi.ThriveStackPage, 1));

        var reply = JsonDocument.Parse(body).RootElement;
        Assert.True(reply.GetProperty("success").GetBoolean());
        Assert.True(Guid.TryParse(reply.GetProperty("response_id").GetString(), out _));
        Assert.Equal("Page(s) tracked successfully", reply.GetProperty("message").GetString());
        Assert.Equal("https://docs.app.thrivestack.ai/getting-started/analyze/instrumentation/identification/page", reply.GetProperty("documentation").GetString());
        Assert.False(reply.TryGetProperty("warnings", out _));
    }

    [Fact]
    public async Task ThriveStack_errors_carry_success_false_a_response_id_and_a_message()
    {
        // Spec 002: {"success": false, "message": "Failed to track the event(s) due to an error.", "response_id": "db78083b-..."}
        await using var collector = await ReferenceCollector.StartAsync();

        var (status, body, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, "[{}]");

        var reply = JsonDocument.Parse(body).RootElement;
        Assert.Equal(400, status);
        Assert.False(reply.GetProperty("success").GetBoolean());
        Assert.True(Guid.TryParse(reply.GetProperty("response_id").GetString(), out _));
        Assert.Equal("Event 0 (no user_id): user_id is required.", reply.GetProperty("message").GetString());
    }

    [Fact]
    public async Task PrimeData_replies_updated_with_the_number_of_sessions_touched()
    {
        // Spec 004: "The above request should response with a 200-status response with a body of: {"updated": 0}".
        await using var collector = await ReferenceCollector.StartAsync();
        string body = Body(CollectorApi.PrimeData, [Event(CollectorApi.PrimeData, 1), Event(CollectorApi.PrimeData, 1), Event(CollectorApi.PrimeData, 2)]);

        var (status, reply, _) = await PostAsync(collector, CollectorApi.PrimeData, body);

        Assert.Equal(200, status);
        Assert.Equal("""{"updated":2}""", reply);
    }

    [Fact]
    public async Task Segment_replies_success_true()
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var (status, reply, _) = await PostAsync(collector, CollectorApi.Segment, Body(CollectorApi.Segment, 1));

        Assert.Equal(200, status);
        Assert.Equal("""{"success":true}""", reply);
    }

    /// <summary>The id a test body gives an event: "u3", "s3" or "m3" for event 3.</summary>
    internal static string IdOf(CollectorApi api, JsonElement e) => api switch
    {
        CollectorApi.ThriveStackTrack => e.GetProperty("user_id").GetString()!,
        CollectorApi.ThriveStackPage => e.GetProperty("session_id").GetString()!,
        CollectorApi.Segment => e.GetProperty("messageId").GetString()!,
        _ => e.GetProperty("sessionId").GetString()!,
    };
}
