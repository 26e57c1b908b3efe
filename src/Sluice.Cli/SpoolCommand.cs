using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Spooling;

namespace Sluice.Cli;

/// <summary>
/// <c>sluice spool status DIR</c> (what a spool directory holds, read without its lock, so it works while an engine uses it)
/// and <c>sluice spool drain DIR</c> (an engine on the directory that sends what is there and nothing else).
/// </summary>
internal static class SpoolCommand
{
    /// <summary>
    /// An engine, or, when its spool directory cannot be used (another sluice holds it, it cannot be created, it holds
    /// batches of another format), a <see cref="CliException"/> naming <paramref name="option"/>.
    /// </summary>
    public static SluiceEngine CreateEngine(SluiceOptions options, IBatchTransport transport, string option)
    {
        try
        {
            return new SluiceEngine(options, transport);
        }
        catch (Exception ex) when (options.Spool is not null && ex is IOException or UnauthorizedAccessException)
        {
            string directory = Path.GetFullPath(options.Spool.DirectoryPath);
            throw new CliException(ExitCodes.CannotCreate, Directory.Exists(directory)
                ? $"{option} {options.Spool.DirectoryPath} cannot be used: {ex.Message}"
                : $"{option} {options.Spool.DirectoryPath}: the spool directory cannot be created: {WhyNotCreated(directory, ex)}");
        }
        catch (InvalidOperationException ex) when (options.Spool is not null)
        {
            throw new CliException(ExitCodes.Usage, $"{option} {options.Spool.DirectoryPath}: {ex.Message}");
        }
    }

    /// <summary>
    /// Why <paramref name="directory"/> could not be created, in words that fit: the runtime says "Could not find file" of a
    /// directory made under one that takes none (<c>/proc/self</c>), and "already exists" of a file in its place.
    /// </summary>
    private static string WhyNotCreated(string directory, Exception ex)
    {
        string? existing = directory;
        while (existing is not null && !Path.Exists(existing))
            existing = Path.GetDirectoryName(existing);
        return existing is null ? ex.Message
            : File.Exists(existing) ? $"'{existing}' is a file, not a directory."
            : ex is FileNotFoundException or DirectoryNotFoundException ? $"the system does not let a directory be made in '{existing}' (no such file or directory)."
            : ex.Message;
    }

    public static async Task<int> StatusAsync(string directory, bool json, CliConsole console)
    {
        SpoolStatus status;
        try
        {
            status = await SpoolInspector.InspectAsync(directory, TimeProvider.System).ConfigureAwait(false);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new CliException(ExitCodes.NoInput, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.NoInput, $"The spool directory '{directory}' cannot be read: {ex.Message}");
        }

        if (json)
            WriteJson(status, console.Out);
        else
            WriteText(status, console.Out);
        return ExitCodes.Success;
    }

    public static async Task<int> DrainAsync(SendSettings settings, string directory, CliConsole console, Interrupts interrupts)
    {
        if (SpoolDirectory.Missing(Path.GetFullPath(directory)) is { } missing)
            throw new CliException(ExitCodes.NoInput, missing);
        using var target = SendTarget.Create(settings, console.Environment);
        var errors = new ErrorOutput(console.Error, console.ErrorIsTerminal);
        string full = Path.GetFullPath(directory);
        // A send on this spool that ended without its summary left the line to resume its input after.
        var resume = LeftResume(directory, errors);

        // No segment, no spool: nothing to send, and nothing to create there either (opening a spool makes its lock and first
        // segment), as a mistyped path (~, .) would get. A resume file there is said and goes, as after a drain that empties the
        // spool: none of its events is in the spool any more.
        if (!HoldsSegments(directory))
        {
            if (settings.Json)
            {
                var buffer = new ArrayBufferWriter<byte>();
                using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
                {
                    json.WriteStartObject();
                    json.WriteString("spool", full);
                    json.WriteNumber("batches", 0);
                    WriteResume(json, full, resume, emptied: true);
                    json.WriteNumber("exit_code", ExitCodes.Success);
                    json.WriteEndObject();
                }

                console.Out.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
            }
            else
            {
                console.Out.WriteLine($"spool: {full} holds no spool segment: nothing to send.");
                if (resume is var (line, input))
                    console.Out.WriteLine($"resume: {ResumeText(full, line, input, emptied: true)}");
            }

            if (resume is not null)
                ResumeFile.Delete(directory);
            return ExitCodes.Success;
        }

        var diagnostics = new DiagnosticPrinter(errors, settings.Quiet, TimeProvider.System, target.Format.PartitionCount);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var engine = CreateEngine(RetryLimit.Apply(new SluiceOptions
        {
            WireFormat = target.Format,
            ShutdownTimeout = settings.StopTimeout,
            OnDiagnostic = diagnostics.OnDiagnostic,
            Name = "sluice-spool-drain",
            // No cap: a drain appends nothing, so a cap could only evict what it is there to send (a spool an engine wrote with
            // a cap above the default would lose its oldest batches when the drain opened it).
            Spool = new SpoolOptions { DirectoryPath = directory, MaxBytes = long.MaxValue },
        }, settings.RetryBudget), target.Transport, "spool drain");

        // Progress on standard error while it is a terminal, as send draws it: a large spool takes a while.
        var delivering = new Rate();
        var progress = new ProgressLine(errors, () => errors.IsTerminal && !settings.Quiet ? DrainProgress(engine.GetCounters(), delivering, clock.Elapsed.TotalSeconds) : null);
        bool stopped;
        Task<ShutdownResult> shutdown;
        try
        {
            // The replay comes first, so a flush completes once every batch read back has been settled (or kept).
            var flush = engine.FlushAsync();
            var first = await Task.WhenAny(flush, interrupts.Stopped, diagnostics.CredentialsRefused.Task).ConfigureAwait(false);
            stopped = first != flush;
            bool endingSaid = stopped && diagnostics.EveryEndpointRefused.Task.IsCompleted;
            if (stopped)
            {
                errors.WriteLine($"sluice: {interrupts.Signal?.ToString() ?? "the server refused the credentials"}: stopping; " +
                    (endingSaid ? NothingDeliverable
                        : $"delivering what was read back for up to {Duration.Format(settings.StopTimeout)} ({Interrupts.SecondStopsAtOnce}); what is not delivered stays in the spool."));
            }

            // The engine's own ShutdownTimeout is the stop timeout.
            using var deadline = new CancellationTokenSource();
            shutdown = await EngineShutdown.RunAsync(engine, deadline, diagnostics, interrupts, () =>
            {
                if (!endingSaid)
                    errors.WriteLine($"sluice: every endpoint refused the credentials: stopping; {NothingDeliverable}");
            }).ConfigureAwait(false);
        }
        finally
        {
            await progress.DisposeAsync().ConfigureAwait(false);
        }

        var counters = shutdown.IsCompleted ? (await shutdown.ConfigureAwait(false)).Counters : engine.GetCounters();
        diagnostics.Flush();

        // Stopped before the end, the engine had read back only some of the batches (as the senders made room): its counters know
        // nothing of the others. What is still in the spool is then read from the directory.
        long? stillInSpool = stopped ? await EventsInAsync(directory).ConfigureAwait(false) : null;
        long left = Math.Max(counters.Replayed - counters.Delivered, stillInSpool ?? 0);

        // A damaged record (torn or corrupt) is skipped, never sent, and how many events it held is not known: what the
        // spool had was not all delivered, as when the server rejects a batch.
        long damaged = counters.SpoolDamaged;
        // Every batch the spool held is settled: so is every event of the lines up to the resume point (not known if stopped and
        // the directory could not be read).
        bool emptied = stopped ? stillInSpool == 0 : counters.LeftInSpool == 0;
        int exit = interrupts.ExitCode ?? (diagnostics.CredentialsRefused.Task.IsCompleted ? ExitCodes.CredentialsRefused
            : left == 0 && damaged == 0 ? ExitCodes.Success
            : left == 0 ? ExitCodes.NotAllDelivered
            : counters.Delivered == 0 && counters.RejectedByServer == 0 && target.IsHttp ? ExitCodes.Unavailable
            : ExitCodes.NotAllDelivered);
        if (settings.Json)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteString("spool", full);
                json.WriteString("destination", target.Destination);
                json.WriteString("format", settings.Format);
                json.WriteNumber("elapsed_seconds", Math.Round(clock.Elapsed.TotalSeconds, 3));
                json.WriteStartObject("events");
                foreach (var (_, name, value) in Figures.Of(counters))
                    json.WriteNumber(name, value);
                json.WriteEndObject();
                json.WriteNumber("still_in_spool", stillInSpool ?? counters.LeftInSpool);
                WriteResume(json, full, resume, emptied);

                json.WriteNumber("exit_code", exit);
                json.WriteEndObject();
            }

            console.Out.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
        }
        else
        {
            console.Out.WriteLine(stillInSpool is null
                ? $"{target.Destination}: {counters.Delivered:N0} of {Count.Of(counters.Replayed, "spooled event", "spooled events")} delivered in {Count.Of(counters.BatchesDelivered, "batch", "batches")} " +
                    $"({counters.BatchesReplayed:N0} read back from {full}); {clock.Elapsed.TotalSeconds:F1} s."
                : $"{target.Destination}: {Count.Of(counters.Delivered, "spooled event", "spooled events")} delivered in {Count.Of(counters.BatchesDelivered, "batch", "batches")} " +
                    $"before sending stopped ({counters.BatchesReplayed:N0} read back from {full} by then); {clock.Elapsed.TotalSeconds:F1} s.");
            if (!settings.Quiet)
            {
                foreach (var (label, _, value) in Figures.Of(counters))
                    console.Out.WriteLine($"  {label,-22}{value,14:N0}");
            }

            console.Out.WriteLine(stillInSpool is > 0 and long still
                ? $"spool: {Count.Of(still, "event is", "events are")} still in {full} (not delivered before sending stopped: the next drain or 'sluice send --spool' on it sends them); " +
                    $"{counters.RejectedByServer:N0} were rejected by the server and removed."
                : left > 0
                ? $"spool: {Count.Of(counters.LeftInSpool, "event is", "events are")} still in {full} (the server did not take them); {counters.RejectedByServer:N0} were rejected by the server and removed."
                : damaged == 0 ? "spool: every batch that was there was delivered."
                : "spool: every batch that could be read back was delivered.");
            if (damaged > 0)
            {
                console.Out.WriteLine($"spool: {damaged:N0} damaged record{(damaged == 1 ? " was" : "s were")} skipped (a write cut short or " +
                    "corrupt on disk, see above): the events in them were not sent and cannot be.");
            }

            if (resume is var (line, input))
                console.Out.WriteLine($"resume: {ResumeText(full, line, input, emptied)}");
        }

        // Said, and true no more once the spool is empty (the next send would say its events are in the spool): the file goes.
        // While the spool holds some, the next send says it again.
        if (resume is not null && emptied)
            ResumeFile.Delete(directory);
        return exit;
    }

    /// <summary>What a send that ended without its summary left on <paramref name="directory"/>; a damaged file is said and left as it is.</summary>
    private static (long Line, string Input)? LeftResume(string directory, ErrorOutput errors)
    {
        try
        {
            return ResumeFile.Left(directory);
        }
        catch (InvalidDataException ex)
        {
            errors.WriteLine($"sluice: {ex.Message}: the line to resume the send that left it after is not known; the drain leaves the file as it is.");
            return null;
        }
    }

    /// <summary>The summary's <c>resume</c>: what the resume file said (see <see cref="ResumeText"/>), or null if there was none.</summary>
    private static void WriteResume(Utf8JsonWriter json, string spool, (long Line, string Input)? resume, bool emptied)
    {
        if (resume is not var (line, input))
        {
            json.WriteNull("resume");
            return;
        }

        json.WriteStartObject("resume");
        json.WriteString("input", input);
        json.WriteNumber("skip_lines", line);
        json.WriteString("meaning", ResumeText(spool, line, input, emptied));
        json.WriteEndObject();
    }

    /// <summary>What the resume file of a send that ended without its summary means once a drain on its spool has ended.</summary>
    private static string ResumeText(string spool, long line, string input, bool emptied) =>
        $"the last send on {spool} ended without its summary (killed, or the machine stopped): every event of lines 1-{line:N0} of {ResumeFile.Shown(input)} " +
        (emptied ? "is settled now (that send settled it, or it was in the spool and this drain settled it)"
            : "was settled or is still in the spool (the next drain or send on it sends it)") +
        $"; to go on with that input, run send with --skip-lines {line.ToString(CultureInfo.InvariantCulture)}.";

    private const string NothingDeliverable = "nothing can be delivered with them, so what was not delivered stays in the spool.";

    /// <summary>The progress line of a drain: what was read back from the spool, delivered, and is pending.</summary>
    private static string DrainProgress(SluiceCounters c, Rate delivering, double seconds)
    {
        double rate = delivering.Add(seconds, c.Delivered);
        return $"read back {Count.Of(c.BatchesReplayed, "batch", "batches")} ({c.Replayed:N0} events), delivered {c.Delivered:N0}, pending {c.InFlight:N0}, {rate:N0} events/s";
    }

    /// <summary>Whether <paramref name="directory"/> holds a spool segment.</summary>
    /// <exception cref="CliException">It cannot be read (66), as <c>spool status</c> says.</exception>
    private static bool HoldsSegments(string directory)
    {
        try
        {
            return Directory.EnumerateFiles(directory, "*" + SpoolDirectory.SegmentExtension).Any();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.NoInput, $"The spool directory '{directory}' cannot be read: {ex.Message}");
        }
    }

    /// <summary>The events of the batches <paramref name="directory"/> holds not acknowledged (read without its lock), or null if it cannot be read.</summary>
    internal static async Task<long?> EventsInAsync(string directory)
    {
        try
        {
            return (await SpoolInspector.InspectAsync(directory, TimeProvider.System).ConfigureAwait(false)).Events;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void WriteText(SpoolStatus s, TextWriter output)
    {
        output.WriteLine($"{s.DirectoryPath}: {Count.Of(s.Batches, "batch", "batches")} ({Count.Of(s.Events, "event", "events")}) waiting, {Count.Of(s.Bytes, "byte", "bytes")} in {Count.Of(s.Segments, "segment file", "segment files")}" +
            $"{(s.InUse ? "; in use by a running sluice engine (a snapshot)" : "")}.");
        output.WriteLine($"  {"batches",-22}{s.Batches,14:N0}");
        output.WriteLine($"  {"events",-22}{s.Events,14:N0}");
        output.WriteLine($"  {"bytes",-22}{s.Bytes,14:N0}");
        output.WriteLine($"  {"oldest age",-22}{(s.OldestAge is { } age ? Duration.Format(age) : "-"),14}   {(s.OldestAppendedAt is { } at ? at.ToString("u", CultureInfo.InvariantCulture) : "")}");
        output.WriteLine($"  {"corrupt records",-22}{s.CorruptRecords,14:N0}");
        output.WriteLine($"  {"torn tails",-22}{s.TornTails,14:N0}");
        output.WriteLine($"  {"damaged bytes",-22}{s.DamagedBytes,14:N0}");
        if (s.Formats.Count > 0)
            output.WriteLine($"  format{(s.Formats.Count > 1 ? "s" : "")}: {string.Join("; ", s.Formats)}");
    }

    private static void WriteJson(SpoolStatus s, TextWriter output)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("directory", s.DirectoryPath);
            json.WriteBoolean("in_use", s.InUse);
            json.WriteNumber("segments", s.Segments);
            json.WriteNumber("batches", s.Batches);
            json.WriteNumber("events", s.Events);
            json.WriteNumber("bytes", s.Bytes);
            if (s.OldestAppendedAt is { } at)
            {
                json.WriteString("oldest_appended_at", at);
                json.WriteNumber("oldest_age_seconds", Math.Round(s.OldestAge!.Value.TotalSeconds, 3));
            }
            else
            {
                json.WriteNull("oldest_appended_at");
                json.WriteNull("oldest_age_seconds");
            }

            json.WriteNumber("corrupt_records", s.CorruptRecords);
            json.WriteNumber("torn_tails", s.TornTails);
            json.WriteNumber("damaged_bytes", s.DamagedBytes);
            json.WriteNumber("incomplete_bytes", s.IncompleteBytes);
            json.WriteStartArray("formats");
            foreach (string format in s.Formats)
                json.WriteStringValue(format);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
