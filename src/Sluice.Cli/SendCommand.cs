using System.Text;
using Sluice.Delivery.Transports;

namespace Sluice.Cli;

/// <summary><c>sluice send</c>: replays NDJSON events through the engine.</summary>
internal static class SendCommand
{
    public static async Task<int> RunAsync(Arguments args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        string input = args.Get("input") ?? throw new ArgumentException("send needs --input FILE (or - for standard input).");
        string outDir = args.Get("out") ?? Path.Combine(Environment.CurrentDirectory, "sluice-out");
        var reader = input == "-" ? stdin : new StreamReader(input, Encoding.UTF8);

        var options = new SluiceOptions { FullMode = FullMode.Wait, FullModeWaitTimeout = TimeSpan.FromSeconds(30) };
        var engine = new SluiceEngine(options, new FileTransport(outDir));
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
                        await stderr.WriteLineAsync($"line {lineNumber}: refused ({result})").ConfigureAwait(false);
                    }
                }
                catch (ArgumentException ex)
                {
                    refused++;
                    await stderr.WriteLineAsync($"line {lineNumber}: {ex.Message}").ConfigureAwait(false);
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
        await stdout.WriteLineAsync($"sent {lineNumber:N0} lines: {c.Delivered:N0} events delivered in {c.BatchesDelivered:N0} batches to {outDir}; {refused:N0} lines refused").ConfigureAwait(false);
        CountersReport.Write(stdout, c);
        bool allDelivered = c.Delivered == c.Accepted;
        return refused == 0 && allDelivered ? 0 : 1;
    }
}
