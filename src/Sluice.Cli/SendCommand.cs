using System.Diagnostics;
using Sluice.Diagnostics;
using Sluice.Producing;
using Sluice.Spooling;

namespace Sluice.Cli;

/// <summary>
/// <c>sluice send</c>: replays NDJSON events through the engine's NDJSON ingest, to files or to an
/// HTTP API. The reading waits for room in the queue rather than refuse lines. After the input ends it
/// waits for every accepted event to settle, as long as that takes (each batch is bounded by its
/// retry budget), or up to <c>--drain-timeout</c>. The first SIGINT/SIGTERM, or the server refusing
/// the credentials, stops the reading and delivers what was accepted within <c>--stop-timeout</c>; a
/// second signal stops at once. A summary is printed in every case.
/// </summary>
internal static class SendCommand
{
    /// <summary>How long a stopped reading may take to return (a read from a terminal may not end when cancelled).</summary>
    private static readonly TimeSpan ReadingStopGrace = TimeSpan.FromSeconds(1);

    /// <summary>Refused lines reported one by one on standard error; the rest are counted (a file of bad lines would flood the terminal).</summary>
    public const int RefusedLinesShown = 100;

    public static async Task<int> RunAsync(SendSettings settings, CliConsole console, Interrupts interrupts)
    {
        var errors = new ErrorOutput(console.Error, console.ErrorIsTerminal);
        var (input, totalBytes) = await OpenInputAsync(settings.Input, console, interrupts).ConfigureAwait(false);
        await using var inputLifetime = input.ConfigureAwait(false);
        using var target = SendTarget.Create(settings, console.Environment);
        var counted = new CountingStream(input);

        // Stops the reading: the first signal, the server refusing the credentials (no retry can succeed), or a batch file
        // that cannot be written (nor can the next).
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(interrupts.Stopping);
        // --stop-timeout counts from the stop, not from the end of the reading's grace to return (a read from a terminal or a pipe
        // may not end when cancelled): it ends the engine's shutdown if that has not ended by itself (its own deadline is as long).
        using var stopDeadline = new CancellationTokenSource();
        var diagnostics = new DiagnosticPrinter(errors, settings.Quiet, TimeProvider.System, target.Format.PartitionCount);
        // A rejected event is reported by its input line (the engine's own message names its batch and index).
        var ledger = new ResumeLedger((line, why) => diagnostics.Print(new DiagnosticEvent(DiagnosticKind.EventRejected,
            $"{(line is { } n ? $"line {n}" : "an event")}: rejected by the server: {why ?? "no reason given"}", EventCount: 1)));
        // A send on this spool that ended without its summary left the line to resume after: read before this run replaces it,
        // said once the engine holds the spool (a send still running on it has its file there too, and refuses this one).
        (long Line, string Input)? left = null;
        string? unreadable = null;
        try
        {
            left = settings.Spool is { } spoolDirectory ? ResumeFile.Left(spoolDirectory) : null;
        }
        catch (InvalidDataException ex)
        {
            unreadable = ex.Message;
        }

        ResumeFile? resumeFile = null;

        // Once a second signal has it print the summary, the spool takes no more of this run's batches: the engine, left running
        // while the process exits, would go on writing batches whose lines the summary says to read again (a rerun on the
        // spool would send them twice). The serializer writes them, and is held in the callback after its next write: at
        // most that batch arrives twice.
        var spoolGate = new Lock();
        bool spoolFrozen = false;
        var engine = SpoolCommand.CreateEngine(RetryLimit.Apply(new SluiceOptions
        {
            WireFormat = target.Format,
            FullMode = FullMode.Wait,
            FullModeWaitTimeout = TimeSpan.FromSeconds(30),
            ShutdownTimeout = settings.StopTimeout,
            OnDiagnostic = d =>
            {
                if (d.Kind != DiagnosticKind.EventRejected)
                    diagnostics.OnDiagnostic(d);
            },
            OnBatchSettled = ledger.Settled,
            OnBatchSpooled = sequences =>
            {
                lock (spoolGate)
                {
                    if (!spoolFrozen)
                    {
                        ledger.OnDisk(sequences);
                        resumeFile?.Update();
                        return;
                    }
                }

                Thread.Sleep(Timeout.Infinite); // the process is exiting
            },
            Name = "sluice-send",
            Spool = settings.Spool is { } spool ? new SpoolOptions { DirectoryPath = spool, MaxBytes = SpoolCap(spool, settings.SpoolMaxBytes) } : null,
        }, settings.RetryBudget), target.Transport, "--spool");

        if (settings.Spool is { } spoolDir)
        {
            if (left is var (leftLine, leftInput))
            {
                errors.WriteLine($"sluice: the last send on {spoolDir} ended without its summary (killed, or the machine stopped): every event of lines " +
                    $"1-{leftLine:N0} of {ResumeFile.Shown(leftInput)} was settled or is in the spool, which this run sends first; to go on with that input, run it with --skip-lines {leftLine}.");
            }
            else if (unreadable is not null)
            {
                errors.WriteLine($"sluice: {unreadable}: the line to resume the send that left it after is not known; this run replaces it.");
            }

            resumeFile = new ResumeFile(spoolDir, settings.Input == "-" ? "standard input" : Path.GetFullPath(settings.Input),
                () => Math.Max(settings.SkipLines, ledger.ResumeSoFar(ResumeLedger.SpoolKeptAll(engine.GetCounters()))));
        }

        long refusedLines = 0, lastInvalidLine = 0;
        var tally = new IngestTally(settings.SkipLines, e =>
        {
            ledger.Refused(e);
            if (e.Reason == IngestRefusal.Invalid)
                lastInvalidLine = e.LineNumber;
            if (++refusedLines <= RefusedLinesShown)
                errors.WriteLine($"sluice: line {e.LineNumber}: {e.Message}"); // as every other message on standard error
        }, ledger);
        var clock = Stopwatch.StartNew();
        var monitor = new SendProgress(engine.GetCounters, ledger, counted, totalBytes, () => clock.Elapsed.TotalSeconds);
        var progress = new ProgressLine(errors, () =>
        {
            resumeFile?.Update();
            return monitor.Tick(draw: errors.IsTerminal && !settings.Quiet);
        });
        var stop = Task.WhenAny(interrupts.Stopped, diagnostics.CredentialsRefused.Task, target.WriteFailed);

        // Asked rather than taken from which task won: the reading may return (cancelled) before the
        // stop task, completed asynchronously, is seen to complete.
        bool Stopping() => interrupts.Stopped.IsCompleted || diagnostics.CredentialsRefused.Task.IsCompleted || target.WriteFailed.IsCompleted;

        // Whether what standard error said of a stop named a batch file that could not be written.
        bool writeFailureSaid = false;
        string StopReason()
        {
            writeFailureSaid |= interrupts.Signal is null && target.WriteFailed.IsCompleted;
            return Why(interrupts, target);
        }

        // What becomes of the accepted events once sending stops: said once, when the stop is said or, if every endpoint refused
        // the credentials only later (ThriveStack's two), when the shutdown ends early for it.
        bool endingSaid = false;
        string Ending() => $"nothing can be delivered with these credentials, so sending stops now: what was not delivered {(settings.Spool is null ? "is lost (safe to send again)" : "stays in the spool")}";
        string Delivering(string more)
        {
            endingSaid = diagnostics.EveryEndpointRefused.Task.IsCompleted;
            return endingSaid ? Ending() : $"delivering what was accepted for up to {Duration.Format(settings.StopTimeout)}{more} ({Interrupts.SecondStopsAtOnce})";
        }

        void EndingEarly()
        {
            if (!endingSaid)
                errors.WriteLine($"sluice: every endpoint refused the credentials: {Ending()}.");
        }

        IngestSummary? lines = null;
        bool readFailed = false;
        bool drainTimedOut = false;
        long? cutShort = null;
        Task<ShutdownResult> shutdown;
        try
        {
            // 1. Read until the input ends, or a stop.
            var ingest = engine.IngestCoreAsync(counted, tally, stopReading.Token);
            await Task.WhenAny(ingest, stop).ConfigureAwait(false);
            bool stopped = Stopping();
            if (stopped)
            {
                stopDeadline.CancelAfter(settings.StopTimeout);
                await stopReading.CancelAsync().ConfigureAwait(false);
                await Task.WhenAny(ingest, Task.Delay(ReadingStopGrace)).ConfigureAwait(false);
            }

            if (ingest.IsCompleted)
            {
                try
                {
                    lines = await ingest.ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    // The input failed mid-way (a device or a network file system gone): what was accepted is still
                    // delivered below, and the summary gives the line to resume after, as after a stop.
                    readFailed = true;
                    errors.WriteLine($"sluice: reading {settings.Input} failed after line {tally.Summary(completed: false).LinesRead:N0}: {ex.Message}; delivering what was accepted.");
                }
            }

            if (refusedLines > RefusedLinesShown)
                errors.WriteLine($"sluice: {Count.Of(refusedLines - RefusedLinesShown, "more refused line was", "more refused lines were")} not reported one by one (only the first {RefusedLinesShown} are); the summary counts them all.");

            // A last line with no newline that is refused as invalid may be a line cut short (a file still being written, a copy
            // cut off): a rerun on the whole file would read it in full, so the resume point must not pass over it.
            if (lines is { Completed: true } all && !counted.EndsWithNewline && lastInvalidLine == all.LinesRead)
            {
                cutShort = lastInvalidLine;
                ledger.CutShort(lastInvalidLine);
            }

            // The lines the summary will say were read, blank and skipped ones too (the ledger's last line leaves them out:
            // a stop while --skip-lines was passing over lines said "after line 0").
            if (stopped)
                errors.WriteLine($"sluice: {StopReason()}: reading stopped after line {(lines ?? tally.Summary(completed: false)).LinesRead:N0}; {Delivering("")}.");

            // Not an error (every line is settled), but most likely a resume on the wrong file: said, not silently nothing.
            if (lines is { Completed: true } read && settings.SkipLines > read.LinesRead)
                errors.WriteLine($"sluice: --skip-lines {settings.SkipLines} is past the end of {settings.Input} ({Count.Of(read.LinesRead, "line", "lines")}): no line was sent.");
            monitor.ReadingDone();

            // 2. The input ended: wait for every accepted event to settle (each batch ends by its retry budget).
            if (!Stopping())
            {
                var limit = settings.DrainTimeout is { } drain ? Task.Delay(drain) : Task.Delay(Timeout.Infinite);
                var first = await Task.WhenAny(engine.FlushAsync(), stop, limit).ConfigureAwait(false);
                drainTimedOut = first == limit;
                if (first != limit && first != stop)
                    await first.ConfigureAwait(false);
                else
                    errors.WriteLine($"sluice: {(drainTimedOut ? $"the drain timeout ({Duration.Format(settings.DrainTimeout!.Value)}) passed" : StopReason())}: {Delivering(" more")}.");
            }

            // A batch file that failed once the reading was done (its batch settled before the stop was seen) is said too: the
            // exit code (73) needs its reason.
            if (target.WriteFailed.IsCompleted && !writeFailureSaid)
                errors.WriteLine($"sluice: {WriteFailure(target)}.");

            // 3. Deliver what is left within the stop timeout, unless a second signal says stop now or nothing can be delivered.
            shutdown = await EngineShutdown.RunAsync(engine, stopDeadline, diagnostics, interrupts, EndingEarly, settings.Spool is null ? null : ledger.OnDiskOrSettled)
                .ConfigureAwait(false);
        }
        finally
        {
            await progress.DisposeAsync().ConfigureAwait(false);
        }

        bool aborted = !shutdown.IsCompleted;
        if (aborted)
        {
            lock (spoolGate)
                spoolFrozen = true;
        }

        var counters = aborted ? engine.GetCounters() : (await shutdown.ConfigureAwait(false)).Counters;
        diagnostics.Flush();

        // Stopped before the end, the engine may not have read back every batch an earlier run left in the spool (it reads them
        // as the senders make room): its counters know nothing of the others. What the spool holds is then read from it.
        long? stillInSpool = settings.Spool is { } spoolPath && (aborted || drainTimedOut || Stopping())
            ? await SpoolCommand.EventsInAsync(spoolPath).ConfigureAwait(false)
            : null;
        // The reading did not return, or failed: what it counted so far (the ledger's last line leaves out blank and skipped lines after it).
        var summary = lines ?? tally.Summary(completed: false);
        var report = new SendReport
        {
            Input = settings.Input,
            Destination = target.Destination,
            Format = settings.Format,
            Spool = settings.Spool is { } dir ? Path.GetFullPath(dir) : null,
            Lines = summary,
            Events = counters,
            Elapsed = clock.Elapsed,
            CutShortLine = cutShort,
            UnsettledInSpool = ledger.UnsettledInSpool,
            StillInSpool = stillInSpool,
            // The lines --skip-lines passed over were settled by an earlier run, read this time or not: a stop before the
            // reading got past them still resumes after them, not before (which would send them a second time).
            ResumeAfter = Math.Max(settings.SkipLines, ledger.ResumeAfter(summary.LinesRead, spoolKeptAll: ResumeLedger.SpoolKeptAll(counters))),
            StoppedBy = interrupts.Signal?.ToString() ?? (diagnostics.CredentialsRefused.Task.IsCompleted ? "refused credentials"
                : target.WriteFailed.IsCompleted ? "a batch file that could not be written" : null),
            Aborted = aborted,
            DrainTimedOut = drainTimedOut,
            ExitCode = ExitCode(summary, counters, target.IsHttp, interrupts.ExitCode, diagnostics.CredentialsRefused.Task.IsCompleted, readFailed,
                target.WriteFailed.IsCompleted),
        };
        if (settings.Json)
            report.WriteJson(console.Out);
        else
            report.WriteText(console.Out, brief: settings.Quiet);
        resumeFile?.Delete();
        if (report.Undelivered > 0)
            errors.WriteLine(UndeliveredText(report));
        return report.ExitCode;
    }

    private static string Why(Interrupts interrupts, SendTarget target) => interrupts.Signal?.ToString()
        ?? (target.WriteFailed.IsCompleted ? WriteFailure(target) : "the server refused the credentials");

    private static string WriteFailure(SendTarget target) => $"a batch file cannot be written in {target.Destination} ({target.WriteFailed.Result})";

    private static int ExitCode(IngestSummary lines, SluiceCounters c, bool http, int? signal, bool credentialsRefused, bool readFailed, bool writeFailed)
    {
        if (signal is { } code)
            return code;
        if (credentialsRefused)
            return ExitCodes.CredentialsRefused;
        if (writeFailed)
            return ExitCodes.CannotCreate;
        if (readFailed)
            return ExitCodes.NoInput;
        if (http && c.Accepted > 0 && c.Delivered == 0 && c.RejectedByServer == 0)
            return ExitCodes.Unavailable;
        return lines.Refused == 0 && c.Delivered == c.Accepted + c.Replayed ? ExitCodes.Success : ExitCodes.NotAllDelivered;
    }

    private static string UndeliveredText(SendReport report)
    {
        var c = report.Events;
        string why = report.Aborted ? $", {c.InFlight:N0} unsettled when sending was aborted" +
                (report.UnsettledInSpool > 0 ? $" ({report.UnsettledInSpool:N0} of them in the spool, which the next run on it sends)" : "")
            : report.DrainTimedOut ? " (the drain timeout passed)" : "";
        return $"sluice: {Count.Of(report.Undelivered, "accepted event was", "accepted events were")} not delivered: {c.RejectedByServer:N0} rejected by the server, " +
            $"{c.Expired:N0} expired (retry budget or attempts spent), {c.Failed:N0} failed, {c.RejectedOversize:N0} too large, " +
            $"{c.OutcomeUnknown:N0} outcome unknown (sent, no answer before sending stopped: the server may have them), " +
            $"{c.LostAtShutdown:N0} lost when sending stopped (never delivered; safe to send again), " +
            $"{c.LeftInSpool:N0} kept in the spool{(report.Spool is { } dir ? $" {dir} (sent by the next 'sluice send --spool {dir}' or 'sluice spool drain {dir}')" : "")}{why}.";
    }

    /// <summary>
    /// The input stream and its length if known. Opening a named pipe waits in the kernel, where no cancellation reaches, until a
    /// writer opens it: the open runs aside so that a signal still ends the command (an open that completes later is closed).
    /// </summary>
    /// <exception cref="CliException">The file is missing, unreadable or a directory, or standard input is not open (66), or a signal came before it opened (130/143/129).</exception>
    private static async Task<(Stream Stream, long? Length)> OpenInputAsync(string path, CliConsole console, Interrupts interrupts)
    {
        // The names of descriptor 0 lead to the same pipe of the runtime's.
        if (console.InputClosed && path is "-" or "/dev/stdin" or "/dev/fd/0" or "/proc/self/fd/0")
            throw new CliException(ExitCodes.NoInput, $"--input {path}: standard input is not open (closed, as <&- leaves it); nothing was read.");
        if (path == "-")
            return (console.Input, null);
        var open = Task.Run(() => OpenInput(path));
        if (await Task.WhenAny(open, interrupts.Stopped).ConfigureAwait(false) != open)
        {
            _ = open.ContinueWith(t => t.Result.Stream.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw new CliException(interrupts.ExitCode ?? ExitCodes.Interrupted,
                $"{interrupts.Signal} before --input {path} was opened (a named pipe opens when a writer opens it); nothing was read.");
        }

        return await open.ConfigureAwait(false);
    }

    /// <summary>
    /// The spool's byte cap: <paramref name="cap"/> (--spool-max-bytes), raised when the directory already holds more (an engine
    /// with a larger <see cref="SpoolOptions.MaxBytes"/> wrote it) to what it holds plus one segment, so that opening it
    /// deletes none of it (the spool evicts its oldest segments down to the cap as it opens).
    /// </summary>
    private static long SpoolCap(string directory, long cap)
    {
        long held = 0;
        try
        {
            if (Directory.Exists(directory))
            {
                held = new DirectoryInfo(directory).EnumerateFiles()
                    .Where(f => f.Extension is SpoolDirectory.SegmentExtension or SpoolDirectory.AcknowledgementsExtension)
                    .Sum(f => f.Length);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The engine's open says what is wrong with the directory.
        }

        return held == 0 ? cap : Math.Max(cap, held + new SpoolOptions().SegmentBytes);
    }

    /// <summary>The input file and its length if known (for the ETA).</summary>
    /// <exception cref="CliException">The file is missing, unreadable or a directory (66).</exception>
    private static (Stream Stream, long? Length) OpenInput(string path)
    {
        if (Directory.Exists(path))
            throw new CliException(ExitCodes.NoInput, $"--input {path} is a directory; give an NDJSON file, or - for standard input.");
        try
        {
            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            return (file, file.CanSeek ? file.Length : null);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new CliException(ExitCodes.NoInput, $"--input {path}: no such file.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.NoInput, $"--input {path} cannot be read: {ex.Message}");
        }
    }
}
