namespace Sluice.Producing;

/// <summary>
/// Unpaired UTF-16 surrogates written as JSON escapes (<c>"\ud800"</c> alone). Such a string is valid
/// JSON grammar but not Unicode text: many receivers refuse it (System.Text.Json cannot read it as
/// a string). Sluice escapes what it is given as .NET strings with <c>Utf8JsonWriter</c>, which
/// replaces a lone surrogate with U+FFFD; escapes in pre-serialized JSON get the same treatment here,
/// in place, since <c>\ufffd</c> has the same length.
/// </summary>
internal static class LoneSurrogates
{
    /// <summary>
    /// Replaces every <c>\uD800</c>–<c>\uDFFF</c> escape of <paramref name="json"/> that is not half of a
    /// high-low pair by <c>\ufffd</c>; returns how many. The text must be valid JSON (every backslash
    /// starts an escape), as validation guarantees.
    /// </summary>
    public static int ReplaceEscapes(Span<byte> json)
    {
        int replaced = 0;
        for (int at = Next(json, 0); at >= 0; at = Next(json, at + 6))
        {
            "ufffd"u8.CopyTo(json[(at + 1)..]);
            replaced++;
        }

        return replaced;
    }

    /// <summary>Whether valid JSON text (or a string's escaped content) holds a lone surrogate escape.</summary>
    public static bool HasEscapes(ReadOnlySpan<byte> json) => Next(json, 0) >= 0;

    /// <summary>Where the next lone surrogate escape starts (its backslash) from <paramref name="from"/>, or -1.</summary>
    private static int Next(ReadOnlySpan<byte> json, int from)
    {
        int i = from;
        while (true)
        {
            int next = json[i..].IndexOf((byte)'\\');
            if (next < 0)
                return -1;
            i += next;
            if (json[i + 1] != (byte)'u')
            {
                i += 2;
                continue;
            }

            int unit = Hex4(json.Slice(i + 2, 4));
            if (unit is >= 0xD800 and <= 0xDBFF && IsLowEscape(json, i + 6))
                i += 12;
            else if (unit is >= 0xD800 and <= 0xDFFF)
                return i;
            else
                i += 6;
        }
    }

    private static bool IsLowEscape(ReadOnlySpan<byte> json, int at)
        => at + 6 <= json.Length && json[at] == (byte)'\\' && json[at + 1] == (byte)'u' && Hex4(json.Slice(at + 2, 4)) is >= 0xDC00 and <= 0xDFFF;

    private static int Hex4(ReadOnlySpan<byte> hex)
    {
        int value = 0;
        foreach (byte b in hex)
            value = (value << 4) | (b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
        return value;
    }
}
