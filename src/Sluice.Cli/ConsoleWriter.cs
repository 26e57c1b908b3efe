using System.Text;

namespace Sluice.Cli;

/// <summary>
/// Standard output or error, whose failure does not take the command down: a stream closed (<c>2&gt;&amp;-</c>), full
/// (<c>/dev/full</c>) or broken fails each write with an exception, which thrown from a refused line's report would stop
/// the reading, and thrown from the report of that error would end the process with a runtime abort. The first failure
/// is kept (<see cref="Failure"/>) and later output is dropped; the command decides what a lost output means. (A reader
/// that went away, as <c>| head</c> does, is no failure: the runtime drops those writes already.) Thread-safe as the
/// writer it wraps is.
/// </summary>
internal sealed class ConsoleWriter(TextWriter inner) : TextWriter
{
    private Exception? _failure;

    /// <summary>The first write that failed, if one did.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value) => Guard(value, static (w, c) => w.Write(c));

    public override void Write(string? value) => Guard(value, static (w, s) => w.Write(s));

    public override void Write(char[] buffer, int index, int count) => Guard(new ArraySegment<char>(buffer, index, count), static (w, s) => w.Write(s.Array!, s.Offset, s.Count));

    public override void WriteLine(string? value) => Guard(value, static (w, s) => w.WriteLine(s));

    public override void WriteLine() => Guard(0, static (w, _) => w.WriteLine());

    public override void Flush() => Guard(0, static (w, _) => w.Flush());

    private void Guard<T>(T value, Action<TextWriter, T> write)
    {
        if (Failure is not null)
            return;
        try
        {
            write(inner, value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // UnauthorizedAccessException: the runtime's mapping of EBADF, a descriptor closed or open for reading only.
            Interlocked.CompareExchange(ref _failure, ex, null);
        }
    }
}
