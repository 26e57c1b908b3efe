using Sluice.Diagnostics;
using Sluice.Tests.Support;
using Xunit.Abstractions;

namespace Sluice.Tests.Delivery.EndToEnd;

/// <summary>A server's <c>Retry-After</c> at real HTTP, on a manual clock: how long the engine waits before each retry.</summary>
public class RetryAfterTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("0")]                             // a rate limiter rounding its wait (under a second) down
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT")] // a date already past
    public async Task A_Retry_After_of_no_time_waits_the_backoff_instead_of_spending_every_attempt_at_once(string retryAfter)
    {
        var clock = new ManualTimeProvider();
        await using var run = await HttpRun.StartAsync(WireCase.ThriveStack, o =>
        {
            o.TimeProvider = clock;
            o.JitterRandom = new FixedRandom(0.5);
            o.RetryBaseDelay = TimeSpan.FromSeconds(2); // the retries wait 1 s, then 2 s: half their bounds
            o.RetryMaxDelay = TimeSpan.FromSeconds(30);
            o.MaxSendAttempts = 3;
            o.MaxBatchEvents = 100;
            o.FlushInterval = TimeSpan.FromDays(1);
        }, log: output.WriteLine);
        run.Collector.Faults.FailNext(2, 429, retryAfter);
        run.Produce(100, tracksOnly: true); // one full batch

        // Without a pause, the three attempts would all go out at once, and with one more 429 the batch would expire.
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(1)), "the wait before the first retry");
        Assert.Equal(1, run.CountStatus(429));
        clock.Advance(TimeSpan.FromSeconds(1));
        await Eventually.True(() => clock.PendingDelays.Contains(TimeSpan.FromSeconds(2)), "the wait before the second retry");
        Assert.Equal(2, run.CountStatus(429));
        clock.Advance(TimeSpan.FromSeconds(2));

        var result = await run.FinishAsync();
        Assert.Equal((100, 0), (result.Counters.Delivered, result.Counters.Expired));
        Assert.Equal(["Retrying in 1000 ms", "Retrying in 2000 ms"],
            run.Of(DiagnosticKind.SendFailed).Select(d => d.Message[d.Message.IndexOf("Retrying in", StringComparison.Ordinal)..].Split(" (")[0].TrimEnd('.')));
    }
}
