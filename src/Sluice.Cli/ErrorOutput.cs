namespace Sluice.Cli;

/// <summary>
/// Standard error, shared by engine threads (diagnostics), the reading flow (refused lines) and the
/// progress line: one writer at a time, and a message first clears the progress line so the two
/// never mix (the next refresh draws it again below).
/// </summary>
internal sealed class ErrorOutput(TextWriter error, bool terminal)
{
    private readonly Lock _lock = new();

    // Whether the progress line is on screen. Under _lock.
    private bool _statusShown;

    /// <summary>Whether standard error is a terminal (the progress line is drawn only then).</summary>
    public bool IsTerminal => terminal;

    public void WriteLine(string line)
    {
        lock (_lock)
        {
            ClearStatusLocked();
            error.WriteLine(line);
            error.Flush();
        }
    }

    /// <summary>Draws the progress line in place of the previous one.</summary>
    public void Status(string text)
    {
        lock (_lock)
        {
            error.Write('\r');
            error.Write(text);
            error.Write("\u001b[K"); // erase what a longer previous line left
            error.Flush();
            _statusShown = true;
        }
    }

    public void ClearStatus()
    {
        lock (_lock)
            ClearStatusLocked();
    }

    private void ClearStatusLocked()
    {
        if (!_statusShown)
            return;
        error.Write("\r\u001b[K");
        _statusShown = false;
    }
}
