namespace Sluice.Cli;

/// <summary>What a command reads and writes: the process's console, or a test's streams.</summary>
/// <param name="Input">Standard input (for <c>--input -</c>).</param>
/// <param name="Out">Standard output: summaries and help.</param>
/// <param name="Error">Standard error: errors, diagnostics, progress.</param>
/// <param name="ErrorIsTerminal">Whether standard error is a terminal: progress is drawn only then.</param>
/// <param name="Environment">Reads an environment variable (credentials).</param>
internal sealed record CliConsole(Stream Input, TextWriter Out, TextWriter Error, bool ErrorIsTerminal, Func<string, string?> Environment)
{
    /// <summary>The process's console: writes that fail (a stream closed or full) are dropped and remembered (<see cref="ConsoleWriter"/>).</summary>
    public static CliConsole System() => new(
        Console.OpenStandardInput(), new ConsoleWriter(Console.Out), new ConsoleWriter(Console.Error), !Console.IsErrorRedirected,
        global::System.Environment.GetEnvironmentVariable);
}
