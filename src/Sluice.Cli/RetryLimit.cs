namespace Sluice.Cli;

/// <summary><c>--retry-budget</c>, the one bound the commands put on a batch's retries.</summary>
internal static class RetryLimit
{
    /// <summary>
    /// Gives <paramref name="options"/> <paramref name="budget"/> as its <see cref="SluiceOptions.RetryBudget"/>, and as many attempts as
    /// the engine allows: its default of 8 is spent within a minute at most (full jitter, 30 s cap), so any longer budget was cut short
    /// by it (a 10-minute budget expired a batch after about 30 s of outage).
    /// </summary>
    public static SluiceOptions Apply(SluiceOptions options, TimeSpan budget)
    {
        options.RetryBudget = budget;
        options.MaxSendAttempts = 1_000;
        return options;
    }
}
