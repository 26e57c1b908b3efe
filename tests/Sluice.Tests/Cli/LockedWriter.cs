using System.Text;

namespace Sluice.Tests.Cli;

/// <summary>A text writer that other threads may write while the test reads what it holds so far.</summary>
internal sealed class LockedWriter : TextWriter
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public string Text
    {
        get
        {
            lock (_lock)
                return _text.ToString();
        }
    }

    public override void Write(char value)
    {
        lock (_lock)
            _text.Append(value);
    }

    public override void Write(string? value)
    {
        lock (_lock)
            _text.Append(value);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_lock)
            _text.Append(buffer, index, count);
    }
}
