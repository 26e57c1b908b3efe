namespace Sluice.Fuzz.Oracles;

/// <summary>An oracle was violated: Sluice accepted, wrote, counted or refused something it must not have.</summary>
/// <param name="rule">A short stable name of the rule (the crash signature used while minimising).</param>
/// <param name="message">What happened, with the values involved.</param>
internal sealed class OracleFailure(string rule, string message) : Exception($"[{rule}] {message}")
{
    public string Rule { get; } = rule;

    /// <summary>Throws unless <paramref name="condition"/> holds.</summary>
    public static void Check(bool condition, string rule, string message)
    {
        if (!condition)
            throw new OracleFailure(rule, message);
    }
}
