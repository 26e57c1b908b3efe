using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace Sluice.Cli;

/// <summary>
/// The <c>sluice</c> command line on System.CommandLine: <c>send</c>, <c>spool</c> (<c>status</c>, <c>drain</c>), <c>demo</c> and <c>help</c>, with
/// <c>--help</c>/<c>-h</c> on each and <c>--version</c>. Parse errors (an unknown option or command, with
/// the closest match suggested; a bad value) print one line each and exit 2; a failing command prints
/// one line and exits with a conventional code (see <see cref="ExitCodes"/>), never a stack trace; standard output that
/// cannot be written (closed, full) is said on standard error and turns a success into <see cref="ExitCodes.OutputFailed"/>.
/// </summary>
internal static class CommandLine
{
    /// <summary>Help is wrapped at this width, in a terminal or not (the notes are written for it).</summary>
    private const int HelpWidth = 104;

    public static async Task<int> RunAsync(string[] args, CliConsole console, Interrupts interrupts)
    {
        int code = await RunCommandAsync(args, console, interrupts).ConfigureAwait(false);
        if (console.Out is not ConsoleWriter { Failure: { } failure })
            return code;

        // The summary (or help) is lost: a script reading it must not take the exit code for a complete run.
        // UnauthorizedAccessException is how the runtime reports EBADF: "access to the path is denied" would mislead.
        string why = failure is UnauthorizedAccessException ? "it is closed or not open for writing" : failure.Message;
        await console.Error.WriteLineAsync($"sluice: standard output could not be written ({why}); what was printed there is lost.").ConfigureAwait(false);
        return code == ExitCodes.Success ? ExitCodes.OutputFailed : code;
    }

    private static async Task<int> RunCommandAsync(string[] args, CliConsole console, Interrupts interrupts)
    {
        var root = Build(console, interrupts);
        ParseResult parse;
        try
        {
            parse = root.Parse(args);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A parser or validator that throws is a bug, but still one line, not the runtime's stack trace.
            return await InternalErrorAsync(console, ex).ConfigureAwait(false);
        }

        var invocation = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // SIGINT and SIGTERM are the commands' own business (Interrupts)
        };

        if (parse.Errors.Count > 0 && parse.Action is not HelpWithNotes)
        {
            foreach (string line in UsageErrors(parse, root))
                await console.Error.WriteLineAsync($"sluice: {line}").ConfigureAwait(false);
            await console.Error.WriteLineAsync($"Run '{CommandPath(parse.CommandResult)} --help' for the usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            return await parse.InvokeAsync(invocation).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            await console.Error.WriteLineAsync($"sluice: {ex.Message}").ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return await InternalErrorAsync(console, ex).ConfigureAwait(false);
        }
    }

    private static async Task<int> InternalErrorAsync(CliConsole console, Exception ex)
    {
        await console.Error.WriteLineAsync($"sluice: internal error ({ex.GetType().Name}): {ex.Message}").ConfigureAwait(false);
        return ExitCodes.Internal;
    }

    /// <summary>
    /// One line per mistake: an unknown option or command with the closest known name (the token after an
    /// unknown option is taken for its value, not reported again), then the library's other errors.
    /// </summary>
    private static IEnumerable<string> UsageErrors(ParseResult parse, RootCommand root)
    {
        var command = parse.CommandResult.Command;
        string path = CommandPath(parse.CommandResult);
        bool inputMissing = command.Options.Any(o => o.Name == "--input")
            && !parse.CommandResult.Children.OfType<OptionResult>().Any(o => o.Option.Name == "--input" && o.IdentifierToken is not null);
        var unmatched = parse.UnmatchedTokens;
        for (int i = 0; i < unmatched.Count; i++)
        {
            if (i > 0 && unmatched[i - 1].StartsWith('-') && !unmatched[i - 1].Contains('=', StringComparison.Ordinal) && !unmatched[i].StartsWith('-'))
                continue;
            yield return Suggestion.ForUnknown(unmatched[i], command, path, inputMissing);
        }

        foreach (var error in parse.Errors)
        {
            if (unmatched.Any(token => error.Message.Contains($"'{token}'", StringComparison.Ordinal)))
                continue;
            if (error.Message == "Required command was not provided.")
            {
                if (unmatched.Count == 0)
                    yield return command == root ? "no command given: send, spool, demo or help." : $"no command given: {string.Join(", ", command.Subcommands.Select(c => c.Name))}.";
                continue;
            }

            yield return string.Join(' ', error.Message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        }
    }

    /// <summary>The command as typed: <c>sluice spool drain</c>, not <c>sluice drain</c> (which is no command).</summary>
    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (var c = command; c.Parent is CommandResult parent; c = parent)
            names.Insert(0, c.Command.Name);
        return string.Join(' ', names.Prepend("sluice"));
    }

    private static RootCommand Build(CliConsole console, Interrupts interrupts)
    {
        var root = new RootCommand("Sluice batches product-analytics events (track, page) into exact-size batches and delivers them.");
        var send = SendCommandLine.Build(console, interrupts);
        var spool = SpoolCommandLine.Build(console, interrupts);
        var demo = DemoCommandLine.Build(console, interrupts);
        var help = new Command("help", "Show the help of sluice or of one of its commands.");
        var topic = new Argument<string?>("command") { Arity = ArgumentArity.ZeroOrOne, Description = "send, spool or demo" };
        topic.AcceptOnlyFromAmong("send", "spool", "demo");
        help.Add(topic);
        root.Add(send);
        root.Add(spool);
        root.Add(demo);
        root.Add(help);
        help.SetAction(parse => root.Parse(parse.GetValue(topic) is { } name ? [name, "--help"] : ["--help"]).Invoke(parse.InvocationConfiguration));

        var helpOption = root.Options.OfType<HelpOption>().Single();
        var standardHelp = (HelpAction)helpOption.Action!;
        standardHelp.MaxWidth = HelpWidth;
        helpOption.Action = new HelpWithNotes(standardHelp, new Dictionary<Command, string>
        {
            [root] = "Run 'sluice <command> --help' for a command's options, e.g. 'sluice send --help'.\n\n" + ExitCodes.Help,
            [send] = SendCommandLine.Notes,
            [spool] = SpoolCommandLine.Notes,
            [spool.Subcommands.Single(c => c.Name == "status")] = SpoolCommandLine.Notes,
            [spool.Subcommands.Single(c => c.Name == "drain")] = SpoolCommandLine.Notes,
            [demo] = DemoCommandLine.Notes,
        });
        return root;
    }
}
