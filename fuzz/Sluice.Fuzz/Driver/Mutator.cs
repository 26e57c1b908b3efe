using System.Text;

namespace Sluice.Fuzz.Driver;

/// <summary>
/// Makes a new input from a corpus entry: byte-level mutations (flip bits, set, insert, erase,
/// repeat, copy, splice with another entry) and structure-aware ones found through
/// <see cref="JsonStructure"/> (insert dictionary tokens, replace a value, duplicate a member, grow
/// a string with odd characters, deepen nesting around a value). Deterministic for a given
/// <see cref="Random"/>, so a run is reproducible from its seed.
/// </summary>
internal sealed class Mutator(TokenDictionary dictionary, int maxLength)
{
    private static readonly byte[][] InterestingBytes = Bytes(0x00, 0x01, 0x1F, 0x20, 0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x3A, 0x2C, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xED, 0xEF, 0xF0, 0xF4, 0xFF);

    /// <summary>What may go inside a string: escapes (lone surrogates, control characters), raw odd bytes, non-BMP text.</summary>
    private static readonly byte[][] StringUnits = Utf8(
        "a", "\\u0000", "\\u001f", "\\ud800", "\\udbff", "\\udc00", "\\ud83d\\ude00", "\\ude00\\ud83d", "😀", "é", "中", "\u2028", "\\\"", "\\\\", "\\/", "\\n", "\\t",
        "\x01", "\x7f", "\u0085")
        .Concat(Bytes(0xFF, 0xC3, 0x80)).Concat([[0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98]]).ToArray();

    /// <summary>Whole values worth trying in place of another.</summary>
    private static readonly byte[][] Values = Utf8(
        "null", "true", "false", "0", "-0", "1e309", "-1e309", "1e-400", "18446744073709551616", "-9223372036854775809", "123456789012345678901234567890.5e-7",
        "NaN", "Infinity", "-Infinity", "\"\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\u0000\"", "{}", "[]", "[{}]", "{\"a\":1,\"a\":2}", "{\"\":null}",
        "\"2024-10-20T15:51:35.059Z\"", "\"2024-10-20T15:51:35\"", "\"0001-01-01T00:00:00+01:00\"", "\"9999-12-31T23:59:59.9999999-14:00\"", "\"2024-02-30T00:00:00Z\"");

    private static readonly int[] DeepLevels = [31, 32, 33, 34, 63, 64, 65, 1000, 10_000];

    public byte[] Mutate(byte[] parent, Random rng, IReadOnlyList<byte[]> corpus)
    {
        var data = parent;
        int rounds = rng.Next(3) == 0 ? rng.Next(2, 8) : 1;
        for (int r = 0; r < rounds; r++)
            data = MutateOnce(data, rng, corpus);
        return data.Length > maxLength ? data[..maxLength] : data;
    }

    private byte[] MutateOnce(byte[] data, Random rng, IReadOnlyList<byte[]> corpus)
    {
        if (data.Length == 0)
            return Token(rng);

        switch (rng.Next(20))
        {
            case 0: // flip a bit
            {
                var copy = (byte[])data.Clone();
                copy[rng.Next(copy.Length)] ^= (byte)(1 << rng.Next(8));
                return copy;
            }

            case 1: // set a random or an interesting byte
            {
                var copy = (byte[])data.Clone();
                copy[rng.Next(copy.Length)] = rng.Next(2) == 0 ? (byte)rng.Next(256) : Pick(rng, InterestingBytes)[0];
                return copy;
            }

            case 2: // insert a few random bytes
            {
                var bytes = new byte[rng.Next(1, 9)];
                rng.NextBytes(bytes);
                return Splice(data, Pos(rng, data), 0, bytes);
            }

            case 3: // erase a range
            {
                int at = rng.Next(data.Length);
                return Splice(data, at, Len(rng, data.Length - at), []);
            }

            case 4: // repeat a range several times
            {
                int at = rng.Next(data.Length);
                var chunk = data.AsSpan(at, Len(rng, data.Length - at)).ToArray();
                return Splice(data, at, 0, Repeat(chunk, rng.Next(1, rng.Next(2) == 0 ? 4 : 64)));
            }

            case 5: // copy a range elsewhere
            {
                int at = rng.Next(data.Length);
                return Splice(data, Pos(rng, data), 0, data.AsSpan(at, Len(rng, data.Length - at)).ToArray());
            }

            case 6: // splice with another corpus entry: a prefix of this one, a suffix of that one
            {
                var other = corpus[rng.Next(corpus.Count)];
                int cut = Pos(rng, data), from = other.Length == 0 ? 0 : rng.Next(other.Length);
                return [.. data.AsSpan(0, cut), .. other.AsSpan(from)];
            }

            case 7: // truncate
                return data[..rng.Next(data.Length)];

            case 8: // insert a dictionary token
            case 9:
                return Splice(data, Pos(rng, data), 0, Token(rng));

            case 10: // overwrite with a dictionary token
            {
                var token = Token(rng);
                int at = rng.Next(data.Length);
                return Splice(data, at, Math.Min(token.Length, data.Length - at), token);
            }

            case 11: // change a number's digits
                return ChangeDigits(data, rng);

            default:
                return MutateStructure(data, rng, corpus) ?? MutateOnce(data, rng, corpus);
        }
    }

    /// <summary>A structure-aware mutation, or null if the input has no structure to work on.</summary>
    private byte[]? MutateStructure(byte[] data, Random rng, IReadOnlyList<byte[]> corpus)
    {
        var s = JsonStructure.Of(data);
        if (s.Values.Count == 0)
            return null;

        switch (rng.Next(8))
        {
            case 0: // replace a value with an interesting one
            {
                var (start, end) = Pick(rng, s.Values);
                return Splice(data, start, end - start, rng.Next(3) == 0 ? Token(rng) : Pick(rng, Values));
            }

            case 1: // duplicate a member: duplicate keys
            {
                if (s.Members.Count == 0)
                    return null;
                var (start, end) = Pick(rng, s.Members);
                return Splice(data, end, 0, [(byte)',', .. data.AsSpan(start, end - start)]);
            }

            case 2: // grow a string with odd characters
            case 3:
            {
                if (s.Strings.Count == 0)
                    return null;
                var (start, end) = Pick(rng, s.Strings);
                int count = rng.Next(4) == 0 ? 1 << rng.Next(18) : rng.Next(1, 16);
                return Splice(data, rng.Next(start, end + 1), 0, Repeat(Pick(rng, StringUnits), count));
            }

            case 4: // deepen nesting around a value
            {
                var (start, end) = Pick(rng, s.Values);
                int levels = rng.Next(4) == 0 ? Pick(rng, DeepLevels) : rng.Next(1, 5);
                bool arrays = rng.Next(2) == 0;
                var open = arrays ? "["u8.ToArray() : "{\"k\":"u8.ToArray();
                var close = arrays ? "]"u8.ToArray() : "}"u8.ToArray();
                return [.. data.AsSpan(0, start), .. Repeat(open, levels), .. data.AsSpan(start, end - start), .. Repeat(close, levels), .. data.AsSpan(end)];
            }

            case 5: // swap two values
            {
                var a = Pick(rng, s.Values);
                var b = Pick(rng, s.Values);
                if (a.End <= b.Start)
                    return [.. data.AsSpan(0, a.Start), .. data.AsSpan(b.Start, b.End - b.Start), .. data.AsSpan(a.End, b.Start - a.End), .. data.AsSpan(a.Start, a.End - a.Start), .. data.AsSpan(b.End)];
                return null;
            }

            case 6: // replace a value with a value from another input
            {
                var donor = corpus[rng.Next(corpus.Count)];
                var parts = JsonStructure.Of(donor);
                if (parts.Values.Count == 0)
                    return null;
                var (start, end) = Pick(rng, s.Values);
                var (from, to) = Pick(rng, parts.Values);
                return Splice(data, start, end - start, donor.AsSpan(from, to - from).ToArray());
            }

            default: // delete a member or value
            {
                var (start, end) = s.Members.Count > 0 && rng.Next(2) == 0 ? Pick(rng, s.Members) : Pick(rng, s.Values);
                return Splice(data, start, end - start, []);
            }
        }
    }

    private byte[] Token(Random rng) => dictionary.Tokens.Count > 0 && rng.Next(4) != 0 ? Pick(rng, dictionary.Tokens) : Pick(rng, Values);

    private static byte[] ChangeDigits(byte[] data, Random rng)
    {
        int at = Array.FindIndex(data, rng.Next(data.Length), b => b is >= (byte)'0' and <= (byte)'9');
        if (at < 0)
            return data;
        int end = at;
        while (end < data.Length && data[end] is >= (byte)'0' and <= (byte)'9')
            end++;
        string replacement = rng.Next(4) switch
        {
            0 => rng.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            1 => new string('9', rng.Next(1, 400)),
            2 => "0",
            _ => (long.MaxValue - rng.Next(3)).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        return Splice(data, at, end - at, Encoding.ASCII.GetBytes(replacement));
    }

    private static byte[] Splice(byte[] data, int at, int remove, byte[] insert)
        => [.. data.AsSpan(0, at), .. insert, .. data.AsSpan(at + remove)];

    private static byte[] Repeat(byte[] unit, int count)
    {
        var result = new byte[unit.Length * count];
        for (int i = 0; i < count; i++)
            unit.CopyTo(result, i * unit.Length);
        return result;
    }

    private static int Pos(Random rng, byte[] data) => rng.Next(data.Length + 1);

    /// <summary>A length up to <paramref name="max"/>, mostly short.</summary>
    private static int Len(Random rng, int max) => max <= 1 ? max : Math.Min(max, rng.Next(2) == 0 ? rng.Next(1, 9) : rng.Next(1, max + 1));

    private static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    private static byte[][] Bytes(params byte[] values) => [.. values.Select(b => new[] { b })];

    private static byte[][] Utf8(params string[] values) => [.. values.Select(Encoding.UTF8.GetBytes)];
}
