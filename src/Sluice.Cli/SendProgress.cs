using Sluice.Diagnostics;

namespace Sluice.Cli;

/// <summary>
/// The periodic look at a running send: makes the progress line (lines read, accepted, delivered, pending, events/s, and for a file the share
/// read and the time left). Used by the progress loop only.
/// </summary>
/// <param name="counters">The engine's counters (<see cref="SluiceEngine.GetCounters"/>).</param>
/// <param name="seconds">Seconds since the send started.</param>
internal sealed class SendProgress(Func<SluiceCounters> counters, ResumeLedger ledger, CountingStream input, long? totalBytes, Func<double> seconds)
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

        // The events accepted as the ledger counts them, read before its last line: the reading flow writes them in the other
        // order, so the line read is never behind them. The engine's count, taken as it accepts an event, ran ahead of the line
        // ("read 13,253 lines, accepted 13,254").
        long accepted = ledger.AcceptedEvents, lines = ledger.LastLine;
        var c = counters();
        double now = seconds();
        double delivering = _delivered.Add(now, c.Delivered);
        long bytes = input.BytesRead;
        double reading = _bytes.Add(now, bytes);
        string read, left = "";
        if (_readingDone)
        {
            read = $"read {Count.Of(lines, "line", "lines")} (done)";
            if (c.InFlight > 0 && delivering > 0)
                left = $", ETA {Rate.Clock(TimeSpan.FromSeconds(c.InFlight / delivering))}";
        }
        else if (totalBytes is > 0 and long total)
        {
            read = $"read {Count.Of(lines, "line", "lines")} ({100.0 * bytes / total:F0}%)";
            // The send ends when the last event is delivered, not when the last line is read: the events pending and those of
            // the lines still unread (estimated from the bytes per event so far) go at the delivery rate. The reading, held back
            // by a full queue, keeps pace with the delivery and ends well before it.
            double unread = bytes > 0 ? (double)c.Accepted * (total - bytes) / bytes : 0;
            double byReading = reading > 0 ? (total - bytes) / reading : 0;
            double? eta = delivering > 0 ? Math.Max(byReading, (c.InFlight + unread) / delivering)
                : reading > 0 && c.InFlight == 0 ? byReading
                : null; // events wait and none is being delivered: no time can be told
            if (eta is { } seconds)
                left = $", ETA {Rate.Clock(TimeSpan.FromSeconds(seconds))}";
        }
        else
        {
            read = $"read {Count.Of(lines, "line", "lines")}";
        }

        return $"{read}, accepted {accepted:N0}, delivered {c.Delivered:N0}, pending {c.InFlight:N0}, {delivering:N0} events/s{left}";
    }
}
