using System.Text.Json;
using Sluice.Collector;
using static Sluice.Tests.Support.CollectorRequests;

namespace Sluice.Tests.Delivery.Collector;

/// <summary>
/// Spec 000/001: "A maximum of 1,000 events or 2 MB of data, whichever is smaller, can be sent in a
/// single API request. Exceeding either the event or size limit will result in a 400 Bad Request
/// response." 2 MB is 2,097,152 bytes (a "2 MB" body limit), counted on the whole body, decompressed.
/// </summary>
public class CollectorLimitTests
{
    private const int TwoMegabytes = 2 * 1024 * 1024;

    public static TheoryData<CollectorApi> Apis => [.. Enum.GetValues<CollectorApi>()];

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task Exactly_1000_events_are_accepted(CollectorApi api)
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var (status, _, _) = await PostAsync(collector, api, Body(api, 1_000));

        Assert.Equal(200, status);
        Assert.Equal(1_000, collector.Received(api).EventCount);
        Assert.Equal(1_000, collector.Received(api).MaxEventsPerRequest);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task Event_1001_makes_the_request_a_400_and_nothing_is_kept(CollectorApi api)
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var (status, body, _) = await PostAsync(collector, api, Body(api, 1_001));

        Assert.Equal(400, status);
        Assert.Equal("The body holds 1,001 events; at most 1,000 are accepted in a single request.", MessageOf(body));
        Assert.Equal(0, collector.Received(api).EventCount);
        Assert.Equal(1_001, collector.Received(api).MaxEventsPerRequest);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_body_of_exactly_2097152_bytes_is_accepted(CollectorApi api)
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var (status, _, _) = await PostAsync(collector, api, BodyOfExactly(api, 10, TwoMegabytes));

        Assert.Equal(200, status);
        Assert.Equal(10, collector.Received(api).EventCount);
        Assert.Equal(TwoMegabytes, collector.Received(api).MaxBytesPerRequest);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_body_of_2097153_bytes_is_a_400(CollectorApi api)
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var (status, body, _) = await PostAsync(collector, api, BodyOfExactly(api, 10, TwoMegabytes + 1));

        Assert.Equal(400, status);
        Assert.Equal("The body has 2,097,153 bytes; at most 2,097,152 bytes (2 MB) are accepted in a single request.", MessageOf(body));
        Assert.Equal(0, collector.Received(api).EventCount);
    }

    [Theory]
    [InlineData(TwoMegabytes, 200)]
    [InlineData(TwoMegabytes + 1, 400)]
    public async Task The_byte_limit_counts_gzip_bodies_decompressed(int bytes, int expected)
    {
        await using var collector = await ReferenceCollector.StartAsync();

        var (status, _, _) = await PostAsync(collector, CollectorApi.Segment, BodyOfExactly(CollectorApi.Segment, 1_000, bytes), gzip: true);

        Assert.Equal(expected, status);
        var request = Assert.Single(collector.Received(CollectorApi.Segment).Requests);
        Assert.True(request.Gzip);
        Assert.Equal(bytes, request.Bytes);
        Assert.True(request.WireBytes < bytes / 10, $"The padding compresses: {request.WireBytes} bytes on the wire.");
    }

    [Fact]
    public async Task Lower_limits_can_be_configured()
    {
        await using var collector = await ReferenceCollector.StartAsync(options: new CollectorOptions { MaxEvents = 10, MaxBodyBytes = 2_000 });

        var (tenEvents, _, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, Body(CollectorApi.ThriveStackTrack, 10));
        var (elevenEvents, _, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, Body(CollectorApi.ThriveStackTrack, 11));
        var (atBytes, _, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, BodyOfExactly(CollectorApi.ThriveStackTrack, 1, 2_000));
        var (overBytes, _, _) = await PostAsync(collector, CollectorApi.ThriveStackTrack, BodyOfExactly(CollectorApi.ThriveStackTrack, 1, 2_001));

        Assert.Equal([200, 400, 200, 400], new[] { tenEvents, elevenEvents, atBytes, overBytes });
    }

    internal static string? MessageOf(string body) => JsonDocument.Parse(body).RootElement.GetProperty("message").GetString();
}
