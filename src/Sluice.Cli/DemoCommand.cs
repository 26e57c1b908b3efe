using System.Diagnostics;
using Sluice.Producing;

namespace Sluice.Cli;

/// <summary>
/// <c>sluice demo</c>: synthetic events (track and page, five properties each) through the engine into
/// the file transport, measured end to end: from the first call to the last batch file written, with
/// the bytes the whole process allocated per event. The output folder is kept unless <c>--clean</c>.
/// </summary>
internal static class DemoCommand
{
    private static readonly string[] Plans = ["free", "pro", "team", "enterprise"];
    private static readonly string[] PageUrls = [.. new[] { "/", "/pricing", "/docs", "/blog", "/signup" }.Select(p => "https://example.com" + p)];

    public static async Task<int> RunAsync(long count, string? outDir, bool clean, bool quiet, CliConsole console, Interrupts interrupts)
    {
        string dir = SendTarget.WritableDirectory(Path.GetFullPath(outDir ?? Path.Combine(Path.GetTempPath(), $"sluice-demo-{Environment.ProcessId}")));
        var errors = new ErrorOutput(console.Error, console.ErrorIsTerminal);
        var diagnostics = new DiagnosticPrinter(errors, quiet, TimeProvider.System);
        var options = new SluiceOptions { FullMode = FullMode.Wait, FullModeWaitTimeout = TimeSpan.FromSeconds(30), Name = "demo", OnDiagnostic = diagnostics.Print };
        var files = new BatchFiles(dir);
        var engine = new SluiceEngine(options, files);
        var users = new string[1024];
        for (int i = 0; i < users.Length; i++)
            users[i] = $"user-{i:D6}";

        long produced = 0;
        var clock = Stopwatch.StartNew();
        var rate = new Rate();
        var progress = new ProgressLine(errors, () =>
        {
            if (!errors.IsTerminal || quiet)
                return null;
            long done = Volatile.Read(ref produced);
            var c = engine.GetCounters();
            double perSecond = rate.Add(clock.Elapsed.TotalSeconds, c.Delivered);
            string left = perSecond > 0 ? $", ETA {Rate.Clock(TimeSpan.FromSeconds((count - c.Delivered) / perSecond))}" : "";
            return $"produced {done:N0} of {count:N0} ({100.0 * done / Math.Max(1, count):F0}%), delivered {c.Delivered:N0}, {perSecond:N0} events/s{left}";
        });

        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        Sluice.ShutdownResult shutdown;
        try
        {
            // A plain loop on the calling thread, as an application calls; the progress sampler runs beside it.
            var stop = interrupts.Stopping;
            for (long i = 0; i < count && !stop.IsCancellationRequested && !files.WriteFailed.Task.IsCompleted; i++)
            {
                var e = new DemoEvent(i);
                string user = users[i & 1023];
                if (i % 5 == 4)
                    engine.Page(null, user, e, static (ref PropertiesWriter w, DemoEvent s) => s.WritePage(ref w), static (ref PropertiesWriter w, DemoEvent s) => w.WriteString("os", "linux"));
                else
                    engine.Track(user, "feature_used", e, static (ref PropertiesWriter w, DemoEvent s) => s.WriteTrack(ref w), static (ref PropertiesWriter w, DemoEvent s) => w.WriteString("group_id", "g-42"));
                if ((i & 4095) == 0)
                    Volatile.Write(ref produced, i);
            }

            // A second Ctrl+C does not wait for the last batches: the table then shows where they were.
            var stopping = engine.ShutdownAsync();
            shutdown = await Task.WhenAny(stopping, interrupts.Aborted).ConfigureAwait(false) == stopping
                ? await stopping.ConfigureAwait(false)
                : new Sluice.ShutdownResult(0, TimedOut: true, engine.GetCounters());
        }
        finally
        {
            await progress.DisposeAsync().ConfigureAwait(false);
        }

        clock.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        diagnostics.Flush();
        var c = shutdown.Counters;
        double seconds = clock.Elapsed.TotalSeconds;
        var o = console.Out;
        o.WriteLine($"sluice demo: {c.Accepted:N0} events (4 track : 1 page, 5 properties and a context each) through the engine into batch files");
        Row(o, "elapsed", $"{seconds:F2} s");
        Row(o, "end to end", $"{c.Delivered / seconds:N0} events/s", "one producer thread, file transport, from the first call to the last file");
        Row(o, "allocated", $"{(double)allocated / Math.Max(1, c.Accepted):F1} B/event", "whole process, files included");
        Row(o, "batches", $"{c.BatchesSealed:N0}", $"{(double)c.EventsSealed / Math.Max(1, c.BatchesSealed):F0} events/batch");
        Row(o, "bytes", $"{c.BytesSealed:N0}", $"{(double)c.BytesSealed / Math.Max(1, c.EventsSealed):F0} B/event");
        foreach (var (label, _, value) in Figures.Of(c))
            Row(o, label, $"{value:N0}");

        if (clean)
        {
            Directory.Delete(dir, recursive: true);
            Row(o, "output", dir, "deleted (--clean)");
        }
        else
        {
            Row(o, "output", dir, "kept: one file per batch, the exact request body; --clean deletes it");
        }

        // The table alone read as a complete run of fewer events.
        if (interrupts.ExitCode is { } interrupted)
        {
            console.Error.WriteLine($"sluice: {interrupts.Signal}: the demo stopped after {c.Accepted:N0} of {Count.Of(count, "event", "events")}" +
                $"{(shutdown.TimedOut ? ", before the last batches were written" : "")}.");
            return interrupted;
        }

        if (files.WriteFailed.Task.IsCompleted)
        {
            console.Error.WriteLine($"sluice: a batch file cannot be written in {dir} ({files.WriteFailed.Task.Result}): the demo stopped.");
            return ExitCodes.CannotCreate;
        }

        return c.Delivered == count ? ExitCodes.Success : ExitCodes.NotAllDelivered;
    }

    private static void Row(TextWriter output, string label, string value, string? note = null)
        => output.WriteLine(note is null ? $"  {label,-20}{value,22}" : $"  {label,-20}{value,22}   {note}");

    /// <summary>The standard event (docs/performance.md): 5 properties (2 strings, int, bool, double) and a 1-key context.</summary>
    private readonly struct DemoEvent(long i)
    {
        public void WriteTrack(ref PropertiesWriter w)
        {
            w.WriteString("feature", "export_csv");
            w.WriteString("plan", Plans[i & 3]);
            w.WriteNumber("seats", 5 + (i % 50));
            w.WriteBoolean("trial", (i & 1) == 0);
            w.WriteNumber("duration_ms", 12.5 + (i % 100));
        }

        public void WritePage(ref PropertiesWriter w)
        {
            w.WriteString("page_url", PageUrls[i % 5]); // not concatenated per call: the demo measures the engine, not string building
            w.WriteString("page_name", "Homepage");
            w.WriteNumber("scroll_depth", i % 100);
            w.WriteBoolean("first_visit", (i & 1) == 0);
            w.WriteNumber("load_ms", 180.25);
        }
    }
}
