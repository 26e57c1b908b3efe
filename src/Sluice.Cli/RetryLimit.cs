namespace Sluice.Cli;

/// <summary><c>--retry-budget</c>, the one bound the commands put on a batch's retries.</summary>
internal static class RetryLimit
{
    /// <summary>
    /// Gives <paramref name="options"/> <paramref name="budget"/> as its <see cref="SluiceOptions.RetryBudget"/>, and as many attempts as
    /// the engine allows: its default of 20 is spent within about 3.5 minutes (7 at most; full jitter, 30 s cap), so any longer budget
    /// would be cut short by it.
    /// </summary>
    public static SluiceOptions Apply(SluiceOptions options, TimeSpan budget)
    {
        options.RetryBudget = budget;
        options.MaxSendAttempts = 1_000;
        return options;
    }
}
