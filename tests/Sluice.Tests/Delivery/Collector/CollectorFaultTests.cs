using System.Text.Json;
using Sluice.Collector;
using Sluice.Tests.Support;
using static Sluice.Tests.Support.CollectorRequests;

namespace Sluice.Tests.Delivery.Collector;

public class CollectorFaultTests
{
    private const CollectorApi Segment = CollectorApi.Segment;

    [Fact]
    public async Task FailNext_answers_the_next_requests_with_the_status_and_Retry_After_then_recovers()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.FailNext(2, 429, retryAfter: "3", api: Segment);

        var first = await PostAsync(collector, Segment, Body(Segment, 1));
        var second = await PostAsync(collector, Segment, Body(Segment, 1));
        var third = await PostAsync(collector, Segment, Body(Segment, 1));

        Assert.Equal([429, 429, 200], new[] { first.Status, second.Status, third.Status });
        Assert.Equal(TimeSpan.FromSeconds(3), first.Response.Headers.RetryAfter?.Delta);
        Assert.Equal("Injected failure 429.", CollectorLimitTests.MessageOf(first.Body));
        Assert.Null(third.Response.Headers.RetryAfter);
        Assert.Equal(1, collector.Received(Segment).EventCount);
        Assert.Equal(0, collector.Faults.Pending);
    }

    [Fact]
    public async Task Retry_After_may_be_an_HTTP_date()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.FailNext(1, 503, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT");

        var (status, _, response) = await PostAsync(collector, CollectorApi.PrimeData, Body(CollectorApi.PrimeData, 1));

        Assert.Equal(503, status);
        Assert.Equal(new DateTimeOffset(2015, 10, 21, 7, 28, 0, TimeSpan.Zero), response.Headers.RetryAfter?.Date);
    }

    [Fact]
    public async Task A_fault_for_one_API_leaves_the_others_alone()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.FailNext(1, 500, api: CollectorApi.ThriveStackPage);

        var (track, _, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, Body(CollectorApi.ThriveStackTrack, 1));
        var (page, _, _) = await PostAsync(collector, CollectorApi.ThriveStackPage, Body(CollectorApi.ThriveStackPage, 1));

        Assert.Equal(200, track);
        Assert.Equal(500, page);
    }

    [Fact]
    public async Task A_2xx_failure_on_ThriveStack_is_a_200_with_success_false()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.FailNext(1, 200, message: "Failed to track the event(s) due to an error.");

        var (status, body, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, Body(CollectorApi.ThriveStackTrack, 1));

        Assert.Equal(200, status);
        var reply = JsonDocument.Parse(body).RootElement;
        Assert.False(reply.GetProperty("success").GetBoolean());
        Assert.Equal("Failed to track the event(s) due to an error.", reply.GetProperty("message").GetString());
        Assert.Equal(0, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
    }

    [Fact]
    public async Task DropNext_closes_the_connection_without_an_answer()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.DropNext(1);

        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(collector, Segment, Body(Segment, 1)));
        var (status, _, _) = await PostAsync(collector, Segment, Body(Segment, 1));

        Assert.Equal(200, status);
        Assert.Equal([0, 200], collector.Received(Segment).Requests.Select(r => r.Status));
        Assert.Equal(1, collector.Received(Segment).EventCount);
    }

    [Fact]
    public async Task DelayNext_holds_the_answer_past_a_client_timeout_and_only_for_the_next_request()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.DelayNext(1, TimeSpan.FromSeconds(30));
        using var impatient = new HttpClient();
        using var giveUp = new CancellationTokenSource();

        // Give up only once the collector holds the request: a client timeout could fire before the
        // request arrives on a loaded machine, leaving the delay for the next request.
        var first = impatient.SendAsync(Request(collector, Segment, Body(Segment, 1)), giveUp.Token);
        await Eventually.True(() => collector.Faults.Pending == 0, "the delayed request reached the collector");
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        var (status, _, _) = await PostAsync(collector, Segment, Body(Segment, 1));

        Assert.Equal(200, status);
        // The delayed request ends when the client gives up: recorded as unanswered, its events not kept.
        await Eventually.True(() => collector.Received(Segment).RequestCount == 2, "both requests recorded");
        Assert.Equal(1, collector.Received(Segment).CountStatus(0));
        Assert.Equal(1, collector.Received(Segment).EventCount);
    }

    [Fact]
    public async Task A_short_delay_still_delivers()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.DelayNext(1, TimeSpan.FromMilliseconds(50), CollectorApi.PrimeData);

        var (status, _, _) = await PostAsync(collector, CollectorApi.PrimeData, Body(CollectorApi.PrimeData, 2));

        Assert.Equal(200, status);
        Assert.Equal(2, collector.Received(CollectorApi.PrimeData).EventCount);
    }

    [Fact]
    public async Task A_poisoned_event_makes_its_whole_batch_a_400_that_names_it()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.RejectEventsContaining("POISON");
        var events = Enumerable.Range(0, 1_000).Select(i => Event(CollectorApi.ThriveStackTrack, i)).ToList();
        events[617] = events[617].Replace("\"u617\"", "\"POISON-617\"", StringComparison.Ordinal);

        var (full, body, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, Body(CollectorApi.ThriveStackTrack, events));
        var (withoutIt, _, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, Body(CollectorApi.ThriveStackTrack, events.Where((_, i) => i != 617)));

        Assert.Equal(400, full);
        Assert.Equal("Event 617 (user_id \"POISON-617\") is rejected: it contains \"POISON\".", CollectorLimitTests.MessageOf(body));
        Assert.Equal(200, withoutIt);
        Assert.Equal(999, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
    }

    [Fact]
    public async Task The_marker_may_be_in_a_property_and_is_cleared_with_null()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.RejectEventsContaining("bad-value");
        string poisoned = Body(Segment, [Event(Segment, 0), """{"type":"page","anonymousId":"a","name":"Home","properties":{"x":"bad-value"},"messageId":"m9"}"""]);

        var (before, body, _) = await PostAsync(collector, Segment, poisoned);
        collector.Faults.RejectEventsContaining(null);
        var (after, _, _) = await PostAsync(collector, Segment, poisoned);

        Assert.Equal(400, before);
        Assert.Equal("Event 1 (messageId \"m9\") is rejected: it contains \"bad-value\".", CollectorLimitTests.MessageOf(body));
        Assert.Equal(200, after);
    }

    [Fact]
    public async Task A_proxy_limit_answers_413_over_it_and_passes_a_body_exactly_at_it()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.SetProxyBodyLimit(10_000);

        var (over, body, response) = await PostAsync(collector, Segment, BodyOfExactly(Segment, 5, 10_001));
        var (at, _, _) = await PostAsync(collector, Segment, BodyOfExactly(Segment, 5, 10_000));
        collector.Faults.SetProxyBodyLimit(null);
        var (cleared, _, _) = await PostAsync(collector, Segment, BodyOfExactly(Segment, 5, 10_001));

        Assert.Equal([413, 200, 200], new[] { over, at, cleared });
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("413 Request Entity Too Large", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_proxy_limit_counts_bytes_on_the_wire_so_gzip_gets_through()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.SetProxyBodyLimit(10_000);

        var (status, _, _) = await PostAsync(collector, Segment, BodyOfExactly(Segment, 5, 50_000), gzip: true);

        Assert.Equal(200, status);
    }

    [Theory]
    [InlineData(CollectorApi.ThriveStackTrack)]
    [InlineData(CollectorApi.ThriveStackPage)]
    [InlineData(CollectorApi.Segment)]
    [InlineData(CollectorApi.PrimeData)]
    public async Task After_RequireCredential_the_old_one_gets_401_until_the_new_one_is_used(CollectorApi api)
    {
        await using var collector = await ReferenceCollector.StartAsync();
        string old = collector.Credentials.Of(api);
        collector.Faults.RequireCredential(api, "rotated");

        var (withOld, _, _) = await PostAsync(collector, api, Body(api, 1), credential: old);
        var (withNew, _, _) = await PostAsync(collector, api, Body(api, 1), credential: "rotated");

        Assert.Equal(401, withOld);
        Assert.Equal(200, withNew);
        Assert.Equal("rotated", collector.Credentials.Of(api));
    }

    [Fact]
    public async Task WarnNext_adds_warnings_to_a_successful_ThriveStack_reply()
    {
        // Spec 000 response fields: "warnings | Array | Warnings about the request status".
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.WarnNext(1, "page_url is not a URL", CollectorApi.ThriveStackPage);

        var (status, body, _) = await PostAsync(collector, CollectorApi.ThriveStackPage, Body(CollectorApi.ThriveStackPage, 1));
        var (_, next, _) = await PostAsync(collector, CollectorApi.ThriveStackPage, Body(CollectorApi.ThriveStackPage, 1));

        Assert.Equal(200, status);
        var reply = JsonDocument.Parse(body).RootElement;
        Assert.True(reply.GetProperty("success").GetBoolean());
        Assert.Equal(["page_url is not a URL"], reply.GetProperty("warnings").EnumerateArray().Select(w => w.GetString()));
        Assert.False(JsonDocument.Parse(next).RootElement.TryGetProperty("warnings", out _));
    }

    [Fact]
    public async Task Faults_apply_in_order_delay_drop_fail_and_Reset_clears_them()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        collector.Faults.FailNext(1, 500);
        collector.Faults.DropNext(1);

        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(collector, Segment, Body(Segment, 1)));
        var (second, _, _) = await PostAsync(collector, Segment, Body(Segment, 1));
        collector.Faults.FailNext(5, 503);
        collector.Faults.RejectEventsContaining("u0");
        collector.Faults.SetProxyBodyLimit(1);
        collector.Faults.Reset();
        var (afterReset, _, _) = await PostAsync(collector, Segment, Body(Segment, 1));

        Assert.Equal(500, second);
        Assert.Equal(200, afterReset);
        Assert.Equal(0, collector.Faults.Pending);
    }

    [Fact]
    public async Task Faults_can_be_injected_and_inspected_over_HTTP()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var set = await Client.PostAsync(new Uri(collector.BaseAddress, "_collector/faults/fail?status=503&count=1&retryAfter=2&api=primedata"), null);
        using var unknownApi = await Client.PostAsync(new Uri(collector.BaseAddress, "_collector/faults/drop?api=kafka"), null);

        var (failed, _, response) = await PostAsync(collector, CollectorApi.PrimeData, Body(CollectorApi.PrimeData, 1));
        var (delivered, _, _) = await PostAsync(collector, CollectorApi.PrimeData, Body(CollectorApi.PrimeData, 3));
        var summary = JsonDocument.Parse(await Client.GetStringAsync(new Uri(collector.BaseAddress, "_collector/received"))).RootElement.GetProperty("primedata");
        var events = JsonDocument.Parse(await Client.GetStringAsync(new Uri(collector.BaseAddress, "_collector/received/primedata?skip=1&take=5"))).RootElement;

        Assert.Equal(200, (int)set.StatusCode);
        Assert.Equal(400, (int)unknownApi.StatusCode);
        Assert.Equal(503, failed);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        Assert.Equal(200, delivered);
        Assert.Equal(2, summary.GetProperty("requests").GetInt32());
        Assert.Equal(3, summary.GetProperty("events").GetInt32());
        Assert.Equal(1, summary.GetProperty("statuses").GetProperty("503").GetInt32());
        Assert.Equal(["s1", "s2"], events.EnumerateArray().Select(e => e.GetProperty("sessionId").GetString()));
    }

    [Fact]
    public async Task Held_and_cut_answers_can_be_asked_for_over_HTTP()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var hold = await Client.PostAsync(new Uri(collector.BaseAddress, "_collector/faults/hold?ms=1&count=2&api=primedata"), null);
        using var cut = await Client.PostAsync(new Uri(collector.BaseAddress, "_collector/faults/cut?count=3"), null);
        using var badHold = await Client.PostAsync(new Uri(collector.BaseAddress, "_collector/faults/hold?ms=-1"), null);

        Assert.Equal(200, (int)hold.StatusCode);
        Assert.Equal(200, (int)cut.StatusCode);
        Assert.Equal(400, (int)badHold.StatusCode);
        Assert.Equal(5, collector.Faults.Pending);
    }
}
