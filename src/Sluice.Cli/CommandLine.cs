namespace Sluice.Cli;

/// <summary>Dispatches <c>sluice demo</c> and <c>sluice send</c>; testable with any readers and writers.</summary>
internal static class CommandLine
{
    public const string Usage = """
        Usage:
          sluice demo [--events N] [--out DIR]
              Runs N synthetic events (mixed track and page) through the engine into files, then
              measures the hot path on this machine: the benchmarks' end-to-end figure (standard
              events, a transport that returns at once) next to the single-thread ceiling.
          sluice send --input FILE.ndjson|- [--format thrivestack|segment|primedata]
                      [--endpoint URL [--gzip] CREDENTIALS] [--out DIR] [--timeout SECONDS]
              Delivers one ThriveStack-shaped event per line (a page may add "name"); bad lines are
              reported and skipped. Without --endpoint each batch goes to a file in DIR (default
              ./sluice-out), byte for byte the request body. With --endpoint the batches are POSTed
              to the API (URL = its base, e.g. https://api.app.thrivestack.ai), gzip-compressed with
              --gzip, retried on transient failures for up to --timeout seconds (default 30) after
              the input ends. The exit code is 1 if a line was refused or an event not delivered.
              CREDENTIALS, each also read from the environment variable in brackets:
                thrivestack  --token T [SLUICE_TOKEN] (track), --api-key K [SLUICE_API_KEY] (page)
                segment      --write-key W [SLUICE_WRITE_KEY]
                primedata    --client-id C [SLUICE_CLIENT_ID] (needed for files too: it is the scope),
                             --client-access-token A [SLUICE_CLIENT_ACCESS_TOKEN]
        """;

    public static Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr) =>
        RunAsync(args, stdin, stdout, stderr, Environment.GetEnvironmentVariable);

    /// <param name="environment">Reads an environment variable (credentials); tests pass their own.</param>
    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, Func<string, string?> environment)
    {
        try
        {
            var options = Arguments.Parse(args);
            return options.Command switch
            {
                "demo" => await DemoCommand.RunAsync(options, stdout).ConfigureAwait(false),
                "send" => await SendCommand.RunAsync(options, stdin, stdout, stderr, environment).ConfigureAwait(false),
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
