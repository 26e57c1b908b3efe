using Sluice.Cli;
using Sluice.Diagnostics;

namespace Sluice.Tests.Cli;

/// <summary>The progress line of <c>sluice send</c>, from counters and a clock the test sets.</summary>
public sealed class SendProgressTests
{
    [Fact]
    public void The_events_accepted_never_outnumber_the_lines_read()
    {
        // The engine counts an event as it takes it, the ledger its line just after: a tick between the two drew
        // "read 13,253 lines (7%), accepted 13,254".
        var ledger = new ResumeLedger();
        for (long line = 1; line <= 3; line++)
            ledger.Accepted(line, sequence: line - 1);
        var progress = new SendProgress(() => new SluiceCounters { Accepted = 4 }, ledger, new CountingStream(new MemoryStream()), totalBytes: null, () => 1);

        Assert.StartsWith("read 3 lines, accepted 3, ", progress.Tick(draw: true), StringComparison.Ordinal);
    }

    [Fact]
    public void The_time_left_counts_the_events_still_to_deliver_not_only_the_bytes_still_to_read()
    {
        // A 10,000,000-byte file, 100 bytes an event, read at 2,500,000 bytes/s while 4,000 events/s are delivered. After 3 s the
        // reading's own pace says 1 s left ("ETA 0:01", as it did), with 63,000 events waiting to go out and 25,000 lines unread:
        // (63,000 + 25,000) / 4,000 = 22 s.
        const long total = 10_000_000;
        var input = new CountingStream(new MemoryStream(new byte[total]));
        var counters = new SluiceCounters();
        double now = 0;
        var progress = new SendProgress(() => counters, new ResumeLedger(), input, total, () => now);

        string? line = null;
        long read = 0;
        for (int tick = 0; tick <= 12; tick++)
        {
            now = tick * 0.25;
            long delivered = tick * 1_000; // 4,000 events/s
            counters = new SluiceCounters { Accepted = read / 100, Delivered = Math.Min(delivered, read / 100) };
            line = progress.Tick(draw: true);
            int step = tick < 12 ? 625_000 : 0; // 2,500,000 bytes/s
            read += input.Read(new byte[step], 0, step);
        }

        // At 3 s: 7,500,000 bytes read (75,000 events accepted), 12,000 delivered, 63,000 pending, 25,000 events unread.
        Assert.NotNull(line);
        Assert.Contains("delivered 12,000, pending 63,000", line, StringComparison.Ordinal);
        var eta = System.Text.RegularExpressions.Regex.Match(line, @"ETA (\d+):(\d\d)");
        Assert.True(eta.Success, line);
        int seconds = (int.Parse(eta.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * 60) + int.Parse(eta.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 20, 30);
    }
}
