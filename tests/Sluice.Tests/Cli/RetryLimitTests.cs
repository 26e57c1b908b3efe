using Sluice.Cli;
using Sluice.Delivery;
using Sluice.Tests.Delivery;
using Sluice.Tests.Support;

namespace Sluice.Tests.Cli;

/// <summary><c>--retry-budget</c> as the commands give it to the engine, on a manual clock.</summary>
public class RetryLimitTests
{
    [Fact]
    public async Task A_long_retry_budget_is_not_cut_short_by_the_engines_default_attempts()
    {
        var defaults = new SluiceOptions();
        await using var h = new PolicyHarness(a => a.Number < 12 ? SendResult.Retry("down", statusCode: 502) : SendResult.Delivered, o =>
        {
            // The engine's defaults, as the commands start from them, then --retry-budget 10m.
            o.MaxSendAttempts = defaults.MaxSendAttempts;
            o.RetryBaseDelay = defaults.RetryBaseDelay;
            o.RetryMaxDelay = defaults.RetryMaxDelay;
            RetryLimit.Apply(o, TimeSpan.FromMinutes(10));
        });
        h.Track(10); // one full batch

        // Twelve 502s over less than two minutes of a ten-minute budget: half of each bound (a fixed draw), the bound doubling from 500 ms to 30 s.
        foreach (int ms in (int[])[250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000, 15_000, 15_000, 15_000])
            await h.PassWait(TimeSpan.FromMilliseconds(ms));
        await Eventually.True(() => h.Engine.GetCounters().Delivered == 10, "the thirteenth attempt");

        var result = await h.ShutdownAsync();
        Assert.Equal((10, 0, 13), (result.Counters.Delivered, result.Counters.Expired, h.Transport.AttemptCount));
    }
}
