using System.Diagnostics;

namespace Sluice.Cli;

/// <summary>
/// The periodic look at a running send: makes the progress line (lines read, accepted, delivered, pending, events/s, and for a file the share
/// read and the time left by bytes). Used by the progress loop only.
/// </summary>
internal sealed class SendProgress(SluiceEngine engine, ResumeLedger ledger, CountingStream input, long? totalBytes, Stopwatch clock)
{
    private readonly Rate _delivered = new();
    private readonly Rate _bytes = new();

    // Set by the send flow when the reading has stopped; read by the progress loop.
    private volatile bool _readingDone;

    public void ReadingDone() => _readingDone = true;

    /// <summary>Samples; returns the progress line if <paramref name="draw"/>.</summary>
    public string? Tick(bool draw)
    {
        if (!draw)
            return null;

        var c = engine.GetCounters();
        double now = clock.Elapsed.TotalSeconds;
        double delivering = _delivered.Add(now, c.Delivered);
        long bytes = input.BytesRead;
        double reading = _bytes.Add(now, bytes);
        string read, left = "";
        if (_readingDone)
        {
            read = $"read {Count.Of(ledger.LastLine, "line", "lines")} (done)";
            if (c.InFlight > 0 && delivering > 0)
                left = $", ETA {Rate.Clock(TimeSpan.FromSeconds(c.InFlight / delivering))}";
        }
        else if (totalBytes is > 0 and long total)
        {
            read = $"read {Count.Of(ledger.LastLine, "line", "lines")} ({100.0 * bytes / total:F0}%)";
            if (reading > 0)
                left = $", ETA {Rate.Clock(TimeSpan.FromSeconds((total - bytes) / reading))}";
        }
        else
        {
            read = $"read {Count.Of(ledger.LastLine, "line", "lines")}";
        }

        return $"{read}, accepted {c.Accepted:N0}, delivered {c.Delivered:N0}, pending {c.InFlight:N0}, {delivering:N0} events/s{left}";
    }
}
