using System.CommandLine;
using Sluice.Delivery.Transports.Http;

namespace Sluice.Cli;

/// <summary>The <c>sluice spool</c> commands: <c>status</c> and <c>drain</c>.</summary>
internal static class SpoolCommandLine
{
    public const string Notes = """
        A spool directory holds the batches 'sluice send --spool DIR' (or an engine with SluiceOptions.Spool)
        wrote before sending and that were not delivered: the server was down longer than the retry budget,
        or the process stopped or was killed first. Each record has a CRC-32: a record cut short by a crash
        or damaged on disk is counted and skipped, never sent.

          status DIR   what is waiting: batches, events, bytes, the oldest one's age, damaged records
                       (read-only; works while a sluice is using the directory).
          drain DIR    sends what is waiting, oldest first, with the bodies as written (the same message ids),
                       then stops; what the server does not take within --retry-budget stays in DIR.
                       Needs the --format the batches were written in, and its --endpoint and credentials.
                       Progress on standard error while it is a terminal; the summary on standard output.

        Examples:
          sluice spool status /var/spool/sluice --json
          sluice spool drain /var/spool/sluice -f segment -e https://collector.example.com --write-key "$KEY"

        Exit codes (drain): 0 every spooled event delivered (or nothing to send); 1 some were not (rejected by
        the server, in a damaged record, or still in the spool); 2 usage, or the directory holds another
        format; 66 no such directory, or it cannot be read; 69 the endpoint took nothing; 73 it is in use by another
        sluice; 77 credentials refused (once every endpoint refused them, the drain stops at once, not after
        --stop-timeout: what was not delivered stays in the spool); 130/143/129 SIGINT/SIGTERM/SIGHUP.
        """;

    public static Command Build(CliConsole console, Interrupts interrupts)
    {
        var statusDirectory = new Argument<string>("DIR") { Description = "The spool directory." }.NotEmpty();
        var statusJson = new Option<bool>("--json") { Description = "Print the status as JSON." };
        var status = new Command("status", "Show what a spool directory holds: batches, events, bytes, oldest age, corrupt records.") { statusDirectory, statusJson };
        status.SetAction((parse, _) => SpoolCommand.StatusAsync(parse.GetRequiredValue(statusDirectory), parse.GetValue(statusJson), console));

        var drainDirectory = new Argument<string>("DIR") { Description = "The spool directory." }.NotEmpty();
        var format = new Option<string>("--format", "-f") { Description = "The wire format the batches were written in.", DefaultValueFactory = _ => "thrivestack" };
        format.AcceptOnlyFromAmong(SendTarget.Formats);
        var endpoint = new Option<string>("--endpoint", "-e") { Description = "The API's base URL, e.g. https://api.app.thrivestack.ai.", HelpName = "URL", Required = true };
        var gzip = new Option<bool>("--gzip") { Description = "Compress request bodies." };
        var credentials = BuiltInApi.Credentials.Select(c => new Option<string?>("--" + c.Option) { Description = $"{c.Description} [default: ${c.Variable}]", HelpName = "VALUE" }).ToArray();
        var retryBudget = new Option<TimeSpan?>("--retry-budget")
        {
            Description = "How long one batch may retry transient failures; then it stays in the spool. [default: 2m]",
            HelpName = Duration.HelpName,
            CustomParser = Duration.Parser(TimeSpan.Zero, TimeSpan.FromDays(1)),
        };
        var stopTimeout = new Option<TimeSpan?>("--stop-timeout")
        {
            Description = "After Ctrl+C or SIGTERM, how long to go on sending; what is left stays in the spool. [default: 10s]",
            HelpName = Duration.HelpName,
            CustomParser = Duration.Parser(TimeSpan.Zero, TimeSpan.FromHours(1)),
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No retry messages, a short summary (errors are still shown)." };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };
        var drain = new Command("drain", "Send what a spool directory holds to an HTTP API, then stop (exit 0 only if all of it was delivered).")
        {
            drainDirectory, format, endpoint, gzip, retryBudget, stopTimeout, quiet, json,
        };
        foreach (var credential in credentials)
            drain.Add(credential);
        drain.SetAction((parse, _) =>
        {
            var settings = new SendSettings
            {
                Input = "-",
                Format = parse.GetRequiredValue(format),
                Endpoint = parse.GetRequiredValue(endpoint),
                Gzip = parse.GetValue(gzip),
                Credentials = credentials.ToDictionary(c => c.Name[2..], c => parse.GetValue(c)),
                RetryBudget = parse.GetValue(retryBudget) ?? TimeSpan.FromMinutes(2),
                StopTimeout = parse.GetValue(stopTimeout) ?? TimeSpan.FromSeconds(10),
                Quiet = parse.GetValue(quiet),
                Json = parse.GetValue(json),
            };
            return SpoolCommand.DrainAsync(settings, parse.GetRequiredValue(drainDirectory), console, interrupts);
        });

        return new Command("spool", "Inspect a spool directory or send what it holds.") { status, drain };
    }
}
