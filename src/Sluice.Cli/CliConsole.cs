namespace Sluice.Cli;

/// <summary>What a command reads and writes: the process's console, or a test's streams.</summary>
/// <param name="Input">Standard input (for <c>--input -</c>).</param>
/// <param name="Out">Standard output: summaries and help.</param>
/// <param name="Error">Standard error: errors, diagnostics, progress.</param>
/// <param name="ErrorIsTerminal">Whether standard error is a terminal: progress is drawn only then.</param>
/// <param name="Environment">Reads an environment variable (credentials).</param>
/// <param name="InputClosed">Standard input was not open when the process started (<c>&lt;&amp;-</c>): <paramref name="Input"/> is no input.</param>
internal sealed record CliConsole(Stream Input, TextWriter Out, TextWriter Error, bool ErrorIsTerminal, Func<string, string?> Environment, bool InputClosed = false)
{
    // O_CLOEXEC in the flags of /proc/self/fdinfo (octal 02000000).
    private const long CloseOnExec = 0x80000;

    /// <summary>The process's console: writes that fail (a stream closed or full) are dropped and remembered (<see cref="ConsoleWriter"/>).</summary>
    public static CliConsole System() => new(
        Console.OpenStandardInput(), new ConsoleWriter(Console.Out), new ConsoleWriter(Console.Error), !Console.IsErrorRedirected,
        global::System.Environment.GetEnvironmentVariable, StandardInputWasClosed());

    /// <summary>
    /// Whether descriptor 0 was closed when the process started (Linux; false where it cannot be told). The runtime's first
    /// file of its own then takes descriptor 0: a pipe it holds both ends of, so reading "standard input" waited forever.
    /// Every file the runtime opens is close-on-exec, which a descriptor inherited across exec never is.
    /// </summary>
    internal static bool StandardInputWasClosed()
    {
        const string info = "/proc/self/fdinfo";
        try
        {
            if (!Directory.Exists(info))
                return false;
            if (!File.Exists(info + "/0"))
                return true;
            foreach (string line in File.ReadLines(info + "/0"))
            {
                if (line.StartsWith("flags:", StringComparison.Ordinal))
                    return (Convert.ToInt64(line["flags:".Length..].Trim(), 8) & CloseOnExec) != 0;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            // Not known: read it as usual.
        }

        return false;
    }
}
