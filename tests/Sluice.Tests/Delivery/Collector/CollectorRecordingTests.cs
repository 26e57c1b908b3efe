using System.Text;
using Sluice.Collector;
using static Sluice.Tests.Support.CollectorRequests;

namespace Sluice.Tests.Delivery.Collector;

public class CollectorRecordingTests
{
    private const CollectorApi Segment = CollectorApi.Segment;

    [Fact]
    public async Task A_redelivered_messageId_is_counted_as_a_duplicate_not_kept_twice()
    {
        // Spec 003: messageId "A unique identifier for a Data Pipelines event, ensuring that each individual event is unique."
        await using var collector = await ReferenceCollector.StartAsync();
        string body = Body(Segment, 3);

        await PostAsync(collector, Segment, body);
        await PostAsync(collector, Segment, body);
        await PostAsync(collector, Segment, Body(Segment, [Event(Segment, 7)]));

        var received = collector.Received(Segment);
        Assert.Equal(["m0", "m1", "m2", "m7"], received.Events.Select(e => e.GetProperty("messageId").GetString()));
        Assert.Equal(3, received.Duplicates);
        Assert.Equal(3, received.AcceptedRequests);
    }

    [Fact]
    public async Task Gzip_bodies_are_decompressed_and_recorded_with_both_sizes()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        string body = Body(CollectorApi.ThriveStackTrack, 200);

        var (status, _, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, body, gzip: true);

        Assert.Equal(200, status);
        var request = Assert.Single(collector.Received(CollectorApi.ThriveStackTrack).Requests);
        Assert.True(request.Gzip);
        Assert.Equal(Encoding.UTF8.GetByteCount(body), request.Bytes);
        Assert.Equal(Gzip(Encoding.UTF8.GetBytes(body)).Length, request.WireBytes);
        Assert.Equal(200, request.Events);
        Assert.Equal(200, collector.Received(CollectorApi.ThriveStackTrack).EventCount);
    }

    [Fact]
    public async Task A_body_that_is_not_gzip_though_declared_so_is_a_400()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var request = Request(collector, Segment, Body(Segment, 1));
        request.Content!.Headers.ContentEncoding.Add("gzip");

        var (status, body, _) = await SendAsync(request);

        Assert.Equal(400, status);
        Assert.StartsWith("The body is not valid gzip", CollectorLimitTests.MessageOf(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_Content_Encoding_is_a_400()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        using var request = Request(collector, Segment, Body(Segment, 1));
        request.Content!.Headers.ContentEncoding.Add("br");

        var (status, body, _) = await SendAsync(request);

        Assert.Equal(400, status);
        Assert.Equal("Unsupported Content-Encoding \"br\" (gzip or none).", CollectorLimitTests.MessageOf(body));
    }

    [Fact]
    public async Task Concurrent_requests_are_all_recorded()
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var statuses = await Task.WhenAll(Enumerable.Range(0, 40).Select(async r =>
        {
            var events = Enumerable.Range(r * 25, 25).Select(i => Event(Segment, i));
            return (await PostAsync(collector, Segment, Body(Segment, events))).Status;
        }));

        Assert.All(statuses, s => Assert.Equal(200, s));
        var received = collector.Received(Segment);
        Assert.Equal(40, received.RequestCount);
        Assert.Equal(1_000, received.EventCount);
        Assert.Equal(1_000, received.Events.Select(e => e.GetProperty("messageId").GetString()).Distinct().Count());
        Assert.Equal(0, received.Duplicates);
        Assert.Equal(25, received.MaxEventsPerRequest);
    }

    [Fact]
    public async Task Every_request_line_goes_to_the_log()
    {
        var lines = new List<string>();
        await using var collector = await ReferenceCollector.StartAsync(options: new CollectorOptions { Log = line => { lock (lines) lines.Add(line); } });

        await PostAsync(collector, CollectorApi.ThriveStackPage, Body(CollectorApi.ThriveStackPage, 2));
        await PostAsync(collector, CollectorApi.ThriveStackPage, Body(CollectorApi.ThriveStackPage, 1), credential: "nope");

        Assert.Equal(2, lines.Count);
        Assert.StartsWith("POST /api/page -> 200 | 2 events, ", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("POST /api/page -> 401 | ", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("API key missing or invalid", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClearReceived_forgets_everything()
    {
        await using var collector = await ReferenceCollector.StartAsync();
        await PostAsync(collector, Segment, Body(Segment, 2));
        await PostAsync(collector, Segment, Body(Segment, 2));

        collector.ClearReceived();
        await PostAsync(collector, Segment, Body(Segment, 1));

        var received = collector.Received(Segment);
        Assert.Equal(1, received.RequestCount);
        Assert.Equal(1, received.EventCount);
        Assert.Equal(0, received.Duplicates);
    }

    [Fact]
    public async Task Two_collectors_get_two_ephemeral_ports_on_loopback()
    {
        await using var a = await ReferenceCollector.StartAsync();
        await using var b = await ReferenceCollector.StartAsync();

        Assert.Equal("127.0.0.1", a.BaseAddress.Host);
        Assert.NotEqual(0, a.BaseAddress.Port);
        Assert.NotEqual(a.BaseAddress.Port, b.BaseAddress.Port);
    }
}
