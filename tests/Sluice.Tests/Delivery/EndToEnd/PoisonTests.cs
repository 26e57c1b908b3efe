using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Tests.Support;
using Xunit.Abstractions;

namespace Sluice.Tests.Delivery.EndToEnd;

/// <summary>
/// Invalid events among valid ones, at real HTTP: the reference collector refuses (400, naming the event) every
/// request that holds one, like the real API. Every valid event is delivered, every invalid one is refused alone
/// and reported, and the requests are exactly what bisection costs, within <see cref="DeliveryPolicy.BisectionBound"/>.
/// </summary>
public class PoisonTests(ITestOutputHelper output)
{
    private const int Total = 10_000;
    private const int BatchSize = 1_000;

    public static TheoryData<string> Patterns => ["clustered", "sparse"];

    [Theory]
    [MemberData(nameof(Patterns))]
    public async Task Every_valid_event_is_delivered_and_every_invalid_one_reported_alone_within_the_bisection_bound(string pattern)
    {
        var invalid = Invalid(pattern);
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, o => o.FlushInterval = TimeSpan.FromMinutes(1), log: output.WriteLine);
        run.Collector.Faults.RejectEventsContaining("POISON");
        run.Produce(Total, poison: invalid, tracksOnly: true);

        var result = await run.FinishAsync();
        var bad = Enumerable.Range(0, Total).Where(invalid).ToList();
        Assert.Equal(bad.Count, result.Counters.RejectedByServer);
        Assert.Equal(Total - bad.Count, result.Counters.Delivered);
        await run.AssertArrivedOnce(Enumerable.Range(0, Total).Where(i => !invalid(i)));

        var rejected = run.Of(DiagnosticKind.EventRejected).ToList();
        Assert.All(rejected, d => Assert.Equal(1, d.EventCount));
        Assert.Equal(bad, rejected.Select(d => bad.Single(i => d.Message.Contains($"\"seq\":{i},", StringComparison.Ordinal))).Order());
        Assert.All(rejected, d => Assert.Contains("sent alone: 400: Event 0 (user_id", d.Message, StringComparison.Ordinal));

        // Batches of 1,000 sealed in order: the exact cost of bisecting each, and the documented bound.
        int requests = run.CountStatus(200) + run.CountStatus(400);
        long bound = Enumerable.Range(0, Total / BatchSize).Sum(b => DeliveryPolicy.BisectionBound(BatchSize, bad.Count(i => i / BatchSize == b)));
        output.WriteLine($"{pattern}: {bad.Count} invalid of {Total:N0}; {requests} requests ({run.CountStatus(400)} refused), bound {bound}");
        Assert.Equal(BisectionModel.Requests(Total, BatchSize, invalid), requests);
        Assert.InRange(requests, 1, bound);
        Assert.Equal(0, result.Counters.Retries);
    }

    [Theory]
    [InlineData("clustered", "(49\ninvalid, 31 of them in the first batch) cost 402 requests, bound 724", 49, 31, 402, 724)]
    [InlineData("sparse", "(10,\none per batch) cost 210 requests, bound 210", 10, 1, 210, 210)]
    public void The_figures_docs_delivery_md_gives_are_those_of_the_bisection(string pattern, string quoted, int bad, int inFirstBatch, int requests, int bound)
    {
        var invalid = Invalid(pattern);
        string doc = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "delivery.md")).ReplaceLineEndings("\n");

        Assert.Contains(quoted, doc, StringComparison.Ordinal);
        Assert.Equal(bad, Enumerable.Range(0, Total).Count(invalid));
        Assert.Equal(inFirstBatch, Enumerable.Range(0, BatchSize).Count(invalid));
        Assert.Equal(requests, BisectionModel.Requests(Total, BatchSize, invalid));
        Assert.Equal(bound, Enumerable.Range(0, Total / BatchSize).Sum(b => DeliveryPolicy.BisectionBound(BatchSize, Enumerable.Range(b * BatchSize, BatchSize).Count(invalid))));
    }

    /// <summary>Clustered: the first 30 events and every 500th (a first batch that looks mostly invalid); sparse: one in 1,013.</summary>
    private static Func<int, bool> Invalid(string pattern) => pattern == "clustered" ? i => i < 30 || i % 500 == 0 : i => i % 1_013 == 7;
}
