namespace Sluice.Cli;

/// <summary>What a command reads and writes: the process's console, or a test's streams.</summary>
/// <param name="Input">Standard input (for <c>--input -</c>).</param>
/// <param name="Out">Standard output: summaries and help.</param>
/// <param name="Error">Standard error: errors, diagnostics, progress.</param>
/// <param name="ErrorIsTerminal">Whether standard error is a terminal: progress is drawn only then.</param>
/// <param name="Environment">Reads an environment variable (credentials).</param>
internal sealed record CliConsole(Stream Input, TextWriter Out, TextWriter Error, bool ErrorIsTerminal, Func<string, string?> Environment)
{
    /// <summary>The process's console.</summary>
    public static CliConsole System() => new(
        Console.OpenStandardInput(), Console.Out, Console.Error, !Console.IsErrorRedirected, global::System.Environment.GetEnvironmentVariable);
}
