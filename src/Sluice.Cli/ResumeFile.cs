using System.Globalization;

namespace Sluice.Cli;

/// <summary>
/// With <c>--spool DIR</c>, the line to resume after for a send that ends without its summary (killed, out of memory, the
/// machine stopped): <c>DIR/sluice-send.resume</c> holds it and the input, rewritten as the send goes (each batch written to
/// the spool, and each progress tick) and deleted once the summary has said it. Every event of the lines up to it was settled
/// for good or is in the spool, which the next run on it sends first. The next <c>send</c> on the spool says what it held, and so
/// does <c>spool drain</c>, which deletes it once it has sent all the spool held (the line is then all there is to say).
/// The spool ignores the file. A failure to write it changes nothing else (the spool reports its own disk trouble).
/// </summary>
internal sealed class ResumeFile(string directory, string input, Func<long> resumeAfter)
{
    public const string Name = "sluice-send.resume";

    private readonly Lock _lock = new();
    private long _written = -1;
    private bool _deleted;

    /// <summary>What an earlier send on <paramref name="spool"/> left: its line to resume after and its input; null if none.</summary>
    public static (long Line, string Input)? Left(string spool)
    {
        try
        {
            string[] lines = File.ReadAllLines(Path.Combine(spool, Name));
            return lines is [var line, var input] && long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? (n, input) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Writes the current line to resume after if it changed (computed under the lock: a later value is never overwritten by an earlier one).</summary>
    public void Update()
    {
        lock (_lock)
        {
            if (_deleted)
                return;
            long line = resumeAfter();
            if (line == _written || !Directory.Exists(directory))
                return;
            string path = Path.Combine(directory, Name), temporary = path + ".tmp";
            try
            {
                File.WriteAllText(temporary, $"{line.ToString(CultureInfo.InvariantCulture)}\n{input}\n");
                File.Move(temporary, path, overwrite: true);
                _written = line;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The spool's own writes report disk trouble.
            }
        }
    }

    /// <summary>The summary said where to resume: the file would only repeat it, or, stale, mislead the next run.</summary>
    public void Delete()
    {
        lock (_lock)
        {
            Delete(directory);
            _deleted = true; // no write after the summary
        }
    }

    /// <summary>Deletes what a send left on <paramref name="spool"/>, once a summary has said it.</summary>
    public static void Delete(string spool)
    {
        try
        {
            File.Delete(Path.Combine(spool, Name));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing to do: the next run's message names the input and the line, which a user checks against this summary.
        }
    }
}
