using System.CommandLine;
using Sluice.Delivery.Transports.Http;
using Sluice.Spooling;

namespace Sluice.Cli;

/// <summary>The options of <c>sluice send</c> and how they become <see cref="SendSettings"/>.</summary>
internal static class SendCommandLine
{
    public const string Notes = """
        Input: one event per line in the ThriveStack shape (user_id or session_id, event_name for a track,
        timestamp, properties, context; a page may add "name"). A bad line is reported with its number and
        reason (the first 100; one more line says how many others were refused, all counted in the summary)
        and skipped; the rest are delivered. Lines longer than the 2 MB batch limit are refused. A last line
        with no newline that is refused as invalid may be cut short (a file still being written): the line to
        resume after stops before it.

        Deadlines: each batch retries transient failures (429, 5xx, timeouts, connection errors) for up to
        --retry-budget, then its events count as expired. After the input ends, send
        waits until every accepted event is settled (delivered, rejected or expired), or --drain-timeout.
        With --spool DIR every sealed batch is written to DIR (and flushed to the device) before it is sent;
        events a batch of which is not delivered within --retry-budget or --stop-timeout stay there, and the
        summary says how many. The next 'sluice send --spool DIR' sends them first; 'sluice spool drain DIR'
        sends them alone. The line to resume after counts them as settled, so a rerun with --skip-lines on
        the same spool sends each event once. Killed with no summary (kill -9, out of memory), send leaves
        the line to resume after in DIR/sluice-send.resume, and the next send on DIR says it (events of later
        lines already in the spool, as below, may arrive twice). One sluice per spool directory. The spool's
        files take at most --spool-max-bytes (1 GiB), raised to what the directory holds when send opens it
        if that is more (an engine with a larger Spool.MaxBytes wrote it), so that opening it deletes none.
        Ctrl+C, SIGTERM or SIGHUP stops the reading, delivers what was accepted within --stop-timeout and
        prints the summary with the line to resume after (--skip-lines); a second Ctrl+C stops at once (with
        --spool, the line to resume after passes the events the spool already holds, as the next run on it
        sends them; the batch being written to it then, and a later line's event written there before an
        earlier one, may arrive twice). So does a batch file that cannot be written (a read-only directory,
        a full disk), with exit 73.

        Output: progress on standard error while it is a terminal; causes (connection refused, retries,
        rejections) on standard error; the summary on standard output (--json for scripts).

        Credentials, each also read from an environment variable when the option is absent:
          thrivestack  --token [SLUICE_TOKEN] (track) and/or --api-key [SLUICE_API_KEY] (page)
          segment      --write-key [SLUICE_WRITE_KEY]
          primedata    --client-id [SLUICE_CLIENT_ID] (needed for files too: it is the scope),
                       --client-access-token [SLUICE_CLIENT_ACCESS_TOKEN]

        Examples:
          sluice send -i events.ndjson                                # to ./sluice-out, one file per batch
          sluice send -i events.ndjson -f segment -e https://collector.example.com --write-key "$KEY" --gzip
          cat events.ndjson | sluice send -i - -e https://api.app.thrivestack.ai --token "$T" --json
          sluice send -i events.ndjson -e https://... --skip-lines 120000   # resume after an interruption
          sluice send -i events.ndjson -f segment -e https://... --write-key "$KEY" --spool /var/spool/sluice

        Exit codes: 0 all delivered; 1 a line refused or an event not delivered; 2 usage; 66 input missing,
        unreadable or a directory, standard input not open (-i - with <&-), or failing mid-way (what was
        read is delivered); 69 the endpoint took nothing; 73 --out not writable (before or during the run),
        or --spool cannot be created or is in use by another sluice; 74 all else succeeded but standard
        output could not be written; 77 credentials refused (sending stops at the first 401/403; once every
        endpoint refused them it does not wait --stop-timeout: what was not delivered is lost, or stays in
        the spool); 130/143/129 SIGINT/SIGTERM/SIGHUP.
        """;

    public static Command Build(CliConsole console, Interrupts interrupts)
    {
        var input = new Option<string>("--input", "-i") { Description = "The NDJSON file to send, or - for standard input.", HelpName = "FILE", Required = true }.NotEmpty();
        var output = new Option<string?>("--out", "-o") { Description = "Without --endpoint: the directory for the batch files (one per batch, the exact request body, numbered on after those already there). [default: ./sluice-out]", HelpName = "DIR" }.NotEmpty();
        var format = new Option<string>("--format", "-f") { Description = "The wire format and API.", DefaultValueFactory = _ => "thrivestack" };
        format.AcceptOnlyFromAmong(SendTarget.Formats);
        var endpoint = new Option<string?>("--endpoint", "-e") { Description = "The API's base URL, e.g. https://api.app.thrivestack.ai; without it the batches go to files.", HelpName = "URL" };
        var gzip = new Option<bool>("--gzip") { Description = "Compress request bodies (with --endpoint)." };
        var credentials = BuiltInApi.Credentials.Select(c => new Option<string?>("--" + c.Option) { Description = $"{c.Description} [default: ${c.Variable}]", HelpName = "VALUE" }).ToArray();
        var skipLines = new Option<long>("--skip-lines")
        {
            Description = "Pass over the first N lines (to resume after the line a previous run reported).",
            HelpName = "N",
            CustomParser = Count.Parser(0, "lines"),
        };
        // Durations show their defaults in the description: the help would print a TimeSpan as 00:02:00.
        var retryBudget = new Option<TimeSpan?>("--retry-budget")
        {
            Description = "How long one batch may retry transient failures, from its first attempt; then its events count as expired. [default: 2m]",
            HelpName = Duration.HelpName,
            CustomParser = Duration.Parser(TimeSpan.Zero, TimeSpan.FromDays(1)),
        };
        var drainTimeout = new Option<TimeSpan?>("--drain-timeout")
        {
            Description = "After the input ends, the longest wait for the accepted events to settle; then send stops as on Ctrl+C. [default: none: as long as batches are being settled]",
            HelpName = Duration.HelpName,
            CustomParser = Duration.Parser(TimeSpan.FromMilliseconds(1), TimeSpan.FromDays(1)),
        };
        var stopTimeout = new Option<TimeSpan?>("--stop-timeout")
        {
            Description = "After Ctrl+C or SIGTERM, how long to go on delivering what was accepted; what is left then is counted as lost. [default: 10s]",
            HelpName = Duration.HelpName,
            CustomParser = Duration.Parser(TimeSpan.Zero, TimeSpan.FromHours(1)),
        };
        var spool = new Option<string?>("--spool")
        {
            Description = "Write each batch to this directory before sending it; what is not delivered stays there for the next run or 'sluice spool drain'.",
            HelpName = "DIR",
        }.NotEmpty();
        var spoolMaxBytes = new Option<long?>("--spool-max-bytes")
        {
            Description = "With --spool: the most the spool's files may take; a new batch beyond it deletes the oldest ones (counted as evicted). " +
                "A spool that already holds more when send opens it keeps all of it: the cap is raised to what it holds plus one 16 MiB segment. [default: 1GiB]",
            HelpName = ByteSize.HelpName,
            CustomParser = result => ByteSize.Parser(2 * new SpoolOptions().SegmentBytes)(result),
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress, no retry messages, a one-line summary (errors are still shown)." };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };

        var command = new Command("send", "Deliver NDJSON events (a file or standard input) to batch files or to an HTTP API.")
        {
            input, output, format, endpoint, gzip, skipLines, spool, spoolMaxBytes, retryBudget, drainTimeout, stopTimeout, quiet, json,
        };
        foreach (var credential in credentials)
            command.Add(credential);

        command.SetAction((parse, _) =>
        {
            var settings = new SendSettings
            {
                Input = parse.GetRequiredValue(input),
                Out = parse.GetValue(output),
                Format = parse.GetRequiredValue(format),
                Endpoint = parse.GetValue(endpoint),
                Gzip = parse.GetValue(gzip),
                Credentials = credentials.ToDictionary(c => c.Name[2..], c => parse.GetValue(c)),
                SkipLines = parse.GetValue(skipLines),
                Spool = parse.GetValue(spool),
                SpoolMaxBytes = parse.GetValue(spoolMaxBytes) ?? new SpoolOptions().MaxBytes,
                RetryBudget = parse.GetValue(retryBudget) ?? TimeSpan.FromMinutes(2),
                DrainTimeout = parse.GetValue(drainTimeout),
                StopTimeout = parse.GetValue(stopTimeout) ?? TimeSpan.FromSeconds(10),
                Quiet = parse.GetValue(quiet),
                Json = parse.GetValue(json),
            };
            return SendCommand.RunAsync(settings, console, interrupts);
        });
        return command;
    }
}
