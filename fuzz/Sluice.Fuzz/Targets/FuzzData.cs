namespace Sluice.Fuzz.Targets;

/// <summary>
/// Reads decisions from the fuzz input, in the manner of libFuzzer's FuzzedDataProvider: every
/// choice consumes bytes, and an exhausted input answers zeros (the first choice), so any byte
/// string is a valid program and small mutations make small changes.
/// </summary>
internal sealed class FuzzData(byte[] bytes)
{
    private int _position;

    public bool IsEmpty => _position >= bytes.Length;

    public byte Byte() => _position < bytes.Length ? bytes[_position++] : (byte)0;

    /// <summary>A number in [0, <paramref name="max"/>).</summary>
    public int Int(int max)
    {
        if (max <= 1)
            return 0;
        int value = Byte();
        if (max > 256)
            value = (value << 8) | Byte();
        if (max > 65536)
            value = (value << 8) | Byte();
        return value % max;
    }

    /// <summary>True about once in <paramref name="n"/>.</summary>
    public bool OneIn(int n) => Int(n) == 0;

    public T Pick<T>(IReadOnlyList<T> items) => items[Int(items.Count)];

    /// <summary>Up to <paramref name="max"/> raw bytes of the input.</summary>
    public byte[] Bytes(int max)
    {
        int n = Math.Min(Int(max + 1), bytes.Length - Math.Min(_position, bytes.Length));
        var result = bytes.AsSpan(Math.Min(_position, bytes.Length), n).ToArray();
        _position += n;
        return result;
    }
}
