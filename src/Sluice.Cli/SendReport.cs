using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Diagnostics;
using Sluice.Producing;

namespace Sluice.Cli;

/// <summary>The end of a <c>sluice send</c>: what became of the lines and the events, and where a rerun resumes.</summary>
internal sealed record SendReport
{
    public required string Input { get; init; }

    public required string Destination { get; init; }

    public required string Format { get; init; }

    /// <summary>The spool directory (full path), if <c>--spool</c> was given.</summary>
    public string? Spool { get; init; }

    public required IngestSummary Lines { get; init; }

    public required SluiceCounters Events { get; init; }

    public required TimeSpan Elapsed { get; init; }

    /// <summary>Every line up to this one is settled for good (see <see cref="ResumeLedger"/>).</summary>
    public required long ResumeAfter { get; init; }

    /// <summary>The last line, if it has no newline and was refused as invalid: it may be cut short, so the resume point stops before it.</summary>
    public long? CutShortLine { get; init; }

    /// <summary>Events of batches the spool holds that were not settled when a second signal stopped the send: the next run on the spool sends them.</summary>
    public long UnsettledInSpool { get; init; }

    /// <summary>
    /// With a spool, when sending stopped before the end: the events of the batches the spool directory holds, read from it (the
    /// engine may not have read back every batch an earlier run left there); null when not read.
    /// </summary>
    public long? StillInSpool { get; init; }

    /// <summary>What stopped the send before its end, if anything: "SIGINT", "SIGTERM" or "refused credentials".</summary>
    public string? StoppedBy { get; init; }

    /// <summary>A second signal ended the send before the accepted events were settled.</summary>
    public bool Aborted { get; init; }

    /// <summary>--drain-timeout passed before the accepted events were settled.</summary>
    public bool DrainTimedOut { get; init; }

    public required int ExitCode { get; init; }

    /// <summary>Accepted events not delivered, whatever became of them (rejected, expired, lost, or unsettled after an abort).</summary>
    public long Undelivered => Events.Accepted + Events.Replayed - Events.Delivered;

    /// <summary>Nothing to send again: the whole input was read and every line up to its end is settled.</summary>
    public bool NothingToResume => Lines.Completed && ResumeAfter >= Lines.LinesRead;

    public void WriteText(TextWriter output, bool brief)
    {
        var c = Events;
        string how = StoppedBy is null ? "" : Aborted ? $", aborted by a second signal after {StoppedBy}" : $", stopped by {StoppedBy}";
        output.WriteLine($"{Destination}: {Count.Of(c.Delivered, "event", "events")} delivered in {Count.Of(c.BatchesDelivered, "batch", "batches")}; {Count.Of(Lines.LinesRead, "line", "lines")} read from {Input}, " +
            $"{Lines.Refused:N0} refused; {Elapsed.TotalSeconds:F1} s{how}.");
        if (!brief)
        {
            Row(output, "lines read", Lines.LinesRead, $"skipped {Lines.Skipped:N0}, blank {Lines.Blank:N0}");
            Row(output, "lines refused", Lines.Refused,
                $"invalid {Lines.Invalid:N0}, oversize {Lines.Oversize:N0}, queue full {Lines.QueueFull:N0}, shutting down {Lines.ShuttingDown:N0}");
            foreach (var (label, _, value) in Figures.Of(c))
                Row(output, label, value, null);
        }

        if (Spool is not null)
            output.WriteLine($"spool: {Count.Of(InSpool, "event", "events")} stayed in {Spool}{NotReadBack}; {Count.Of(c.Replayed, "event", "events")} spooled by an earlier run {(c.Replayed == 1 ? "was" : "were")} sent again" +
                (c.Resent > 0 ? $", and {Count.Of(c.Resent, "event", "events")} kept in it when retries ran out {(c.Resent == 1 ? "was" : "were")} sent again (their endpoint delivered, or as a probe)." : "."));

        output.WriteLine(ResumeText());
    }

    public void WriteJson(TextWriter output)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("input", Input);
            json.WriteString("destination", Destination);
            json.WriteString("format", Format);
            if (Spool is null)
            {
                json.WriteNull("spool");
                json.WriteNull("in_spool");
            }
            else
            {
                json.WriteString("spool", Spool);
                json.WriteNumber("in_spool", InSpool);
            }

            json.WriteNumber("elapsed_seconds", Math.Round(Elapsed.TotalSeconds, 3));
            json.WriteStartObject("lines");
            json.WriteNumber("read", Lines.LinesRead);
            json.WriteNumber("skipped", Lines.Skipped);
            json.WriteNumber("blank", Lines.Blank);
            json.WriteNumber("accepted", Lines.Accepted);
            json.WriteNumber("refused", Lines.Refused);
            json.WriteNumber("invalid", Lines.Invalid);
            json.WriteNumber("oversize", Lines.Oversize);
            json.WriteNumber("queue_full", Lines.QueueFull);
            json.WriteNumber("shutting_down", Lines.ShuttingDown);
            json.WriteBoolean("completed", Lines.Completed);
            json.WriteEndObject();
            json.WriteStartObject("events");
            foreach (var (_, name, value) in Figures.Of(Events))
                json.WriteNumber(name, value);
            json.WriteEndObject();
            json.WriteStartObject("resume");
            json.WriteNumber("skip_lines", ResumeAfter);
            json.WriteBoolean("nothing_to_resume", NothingToResume);
            json.WriteString("meaning", ResumeMeaning());
            json.WriteEndObject();
            if (StoppedBy is null)
                json.WriteNull("stopped_by");
            else
                json.WriteString("stopped_by", StoppedBy);
            json.WriteBoolean("aborted", Aborted);
            json.WriteBoolean("drain_timed_out", DrainTimedOut);
            json.WriteNumber("exit_code", ExitCode);
            json.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>The events the spool holds once sending has stopped: read from it if it was, else what the counters say stayed.</summary>
    private long InSpool => StillInSpool ?? Events.LeftInSpool;

    /// <summary>Events an earlier run left in the spool that this one neither delivered nor read back before it stopped: there still.</summary>
    private string NotReadBack => StillInSpool is { } still && still > Events.LeftInSpool + UnsettledInSpool
        ? $" ({Count.Of(still - Events.LeftInSpool - UnsettledInSpool, "event", "events")} of them left by an earlier run and not sent again before sending stopped)"
        : "";

    private string ResumeText() => NothingToResume
        ? $"resume: nothing to resume: {ResumeMeaning()}"
        : ResumeAfter == 0 ? $"resume: rerun from the start (--skip-lines 0): {ResumeMeaning()}"
        : $"resume: rerun with --skip-lines {ResumeAfter.ToString(CultureInfo.InvariantCulture)}: {ResumeMeaning()}";

    /// <summary>Spooled events the resume point counts as settled: the rerun on the spool sends them first. None if the spool's byte cap deleted batches (which events those held is not known).</summary>
    private long KeptInSpool => ResumeLedger.SpoolKeptAll(Events) ? Events.LeftInSpool + UnsettledInSpool : 0;

    private string ResumeMeaning()
    {
        long later = Events.Accepted - Events.Delivered - Events.RejectedByServer - Events.RejectedOversize - KeptInSpool;
        string kept = KeptInSpool > 0 ? $" or kept in the spool ({Count.Of(KeptInSpool, "event", "events")}, sent first by the next 'sluice send --spool {Spool}')" : "";
        if (NothingToResume)
            return $"every line was read and is settled{kept}.";
        string settled = ResumeAfter == 0 ? "no line is known to be settled" : $"every event of lines 1-{ResumeAfter:N0} is settled for good{kept}";
        if (later <= 0 && CutShortLine is { } last && ResumeAfter == last - 1)
        {
            return $"{settled}; line {last:N0}, the last, has no newline and was refused as invalid: it may have been cut short " +
                "(a file still being written), so a rerun reads it again.";
        }

        if (later <= 0)
            return $"{settled}; the lines after it were not sent (not read, or refused while stopping).";
        string spool = Events.LeftInSpool > 0 && KeptInSpool == 0 ? ", or spooled: the spool's byte cap deleted batches, so which are still in it is not known" : "";
        return $"{settled}; {Count.Of(later, "accepted event", "accepted events")} of later lines {(later == 1 ? "was" : "were")} not delivered (expired, failed, lost or unsettled{spool}), " +
            "and a rerun from one line sends the delivered events of the lines after it again.";
    }

    private static void Row(TextWriter output, string label, long value, string? detail)
        => output.WriteLine(detail is null ? $"  {label,-22}{value,14:N0}" : $"  {label,-22}{value,14:N0}   {detail}");
}
