namespace Sluice.Cli;

/// <summary>Dispatches <c>sluice demo</c> and <c>sluice send</c>; testable with any readers and writers.</summary>
internal static class CommandLine
{
    public const string Usage = """
        Usage:
          sluice demo [--events N] [--out DIR]
              Runs N synthetic events (mixed track and page) through the engine into files.
          sluice send --input FILE.ndjson|- [--out DIR]
              Delivers one ThriveStack-shaped event per line; bad lines are reported and skipped.
        """;

    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var options = Arguments.Parse(args);
            return options.Command switch
            {
                "demo" => await DemoCommand.RunAsync(options, stdout).ConfigureAwait(false),
                "send" => await SendCommand.RunAsync(options, stdin, stdout, stderr).ConfigureAwait(false),
                _ => Fail($"Unknown command '{options.Command}'."),
            };
        }
        catch (ArgumentException ex)
        {
            return Fail(ex.Message);
        }

        int Fail(string message)
        {
            stderr.WriteLine(message);
            stderr.WriteLine(Usage);
            return 2;
        }
    }
}
