using System.Globalization;

namespace Sluice.Tests.Support;

/// <summary>
/// A fact that sends SIGINT to a child process: skipped, and said so, when this process ignores SIGINT. A shell
/// without job control starts a background command (<c>bash .ci/run &amp;</c>) with SIGINT ignored, every child
/// inherits that, and the runtime keeps an inherited SIG_IGN for SIGINT (as a Unix tool should: a background job is
/// not meant to be stopped by the terminal's Ctrl+C), so the child could not be interrupted at all.
/// </summary>
public sealed class SigintFactAttribute : FactAttribute
{
    public SigintFactAttribute()
    {
        if (SigintIgnored())
            Skip = "SIGINT is ignored in this process (inherited: started in the background without job control), so its children ignore it too; run the tests in the foreground.";
    }

    /// <summary>Whether bit 1 (signal 2, SIGINT) is set in this process's ignored-signal mask.</summary>
    private static bool SigintIgnored()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
            return false;
        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null
            && ulong.TryParse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong mask)
            && (mask & (1UL << 1)) != 0;
    }
}
