using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Sluice.Cli;

/// <summary>The standard help, followed by the notes of the command it describes (exit codes, environment variables, examples).</summary>
internal sealed class HelpWithNotes(HelpAction help, IReadOnlyDictionary<Command, string> notes) : SynchronousCommandLineAction
{
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        int exit = help.Invoke(parseResult);
        if (notes.TryGetValue(parseResult.CommandResult.Command, out string? text))
        {
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine(text);
            output.WriteLine();
        }

        return exit;
    }
}
