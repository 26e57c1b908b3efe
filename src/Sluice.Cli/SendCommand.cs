using System.Text;
using Sluice.Diagnostics;

namespace Sluice.Cli;

/// <summary><c>sluice send</c>: replays NDJSON events through the engine, to files or to an HTTP API.</summary>
internal static class SendCommand
{
    /// <summary>What is worth a line on standard error while sending (retries alone are not).</summary>
    private static readonly HashSet<DiagnosticKind> Reported =
    [
        DiagnosticKind.EventOversize, DiagnosticKind.EventFailed, DiagnosticKind.BatchFailed, DiagnosticKind.EventRejected,
        DiagnosticKind.EndpointPaused, DiagnosticKind.EndpointResumed, DiagnosticKind.LimitLowered, DiagnosticKind.ServerWarning,
        DiagnosticKind.ShutdownLoss, DiagnosticKind.InternalError,
    ];

    public static async Task<int> RunAsync(Arguments args, TextReader stdin, TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
    {
        string input = args.Get("input") ?? throw new ArgumentException("send needs --input FILE (or - for standard input).");
        long timeoutSeconds = args.GetLong("timeout", 30);
        using var target = SendTarget.Create(args, environment);
        var errors = TextWriter.Synchronized(stderr); // diagnostics arrive on engine threads
        var reader = input == "-" ? stdin : new StreamReader(input, Encoding.UTF8);

        var options = new SluiceOptions
        {
            WireFormat = target.Format,
            FullMode = FullMode.Wait,
            FullModeWaitTimeout = TimeSpan.FromSeconds(30),
            ShutdownTimeout = TimeSpan.FromSeconds(Math.Min(timeoutSeconds, 3_600)),
            UnauthorizedProbeInterval = TimeSpan.FromSeconds(5),
            OnDiagnostic = d =>
            {
                if (Reported.Contains(d.Kind))
                    errors.WriteLine($"sluice: {d.Message}");
            },
        };
        var engine = new SluiceEngine(options, target.Transport);
        long lineNumber = 0, refused = 0;
        try
        {
            string? line;
            while ((line = await reader.ReadLineAsync().ConfigureAwait(false)) is not null)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                    continue;
                try
                {
                    var result = engine.EnqueueJson(Encoding.UTF8.GetBytes(line));
                    if (result != EnqueueResult.Accepted)
                    {
                        refused++;
                        await errors.WriteLineAsync($"line {lineNumber}: refused ({result})").ConfigureAwait(false);
                    }
                }
                catch (ArgumentException ex)
                {
                    refused++;
                    await errors.WriteLineAsync($"line {lineNumber}: {ex.Message}").ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (!ReferenceEquals(reader, stdin))
                reader.Dispose();
        }

        var shutdown = await engine.ShutdownAsync().ConfigureAwait(false);
        var c = shutdown.Counters;
        await stdout.WriteLineAsync($"sent {lineNumber:N0} lines: {c.Delivered:N0} events delivered in {c.BatchesDelivered:N0} batches to {target.Destination}; {refused:N0} lines refused").ConfigureAwait(false);
        CountersReport.Write(stdout, c);

        long undelivered = c.Accepted - c.Delivered;
        if (undelivered > 0)
        {
            await errors.WriteLineAsync(
                $"{undelivered:N0} accepted events were not delivered: {c.RejectedByServer:N0} rejected by the server, {c.Expired:N0} expired after retries, " +
                $"{c.Failed:N0} failed, {c.RejectedOversize:N0} too large, {c.LostAtShutdown:N0} lost at the {timeoutSeconds} s deadline, {c.Evicted:N0} evicted.").ConfigureAwait(false);
        }

        return refused == 0 && undelivered == 0 ? 0 : 1;
    }
}
