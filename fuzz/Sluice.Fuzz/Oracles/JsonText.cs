using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Sluice.Fuzz.Oracles;

/// <summary>
/// The oracles' own view of JSON, independent of how Sluice writes it: a strict validity check
/// (what a careful receiver accepts) and a token stream with strings decoded by a separate
/// unescaper that maps lone surrogates to U+FFFD, for comparing two texts by meaning.
/// </summary>
internal static class JsonText
{
    public const char Replacement = '\uFFFD';

    /// <summary>One token: its type and its text (decoded for strings and names, as written for numbers).</summary>
    public readonly record struct Token(JsonTokenType Type, string? Text)
    {
        public override string ToString() => Text is null ? Type.ToString() : $"{Type} {Quote(Text)}";
    }

    /// <summary>
    /// Null if <paramref name="json"/> is one JSON value a strict receiver accepts: valid UTF-8, valid
    /// grammar, no trailing content, every string decodable to UTF-16 (no lone surrogate escapes), and
    /// every number within a double's range; otherwise why not.
    /// </summary>
    public static string? StrictProblem(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
            return "not valid UTF-8";
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 4096 });
        try
        {
            if (!reader.Read())
                return "empty";
            do
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
                    _ = reader.GetString(); // throws on a lone surrogate escape
                else if (reader.TokenType == JsonTokenType.Number && !IsFiniteDouble(reader.ValueSpan))
                    return $"a number beyond the range of a double at byte {reader.TokenStartIndex}";
            }
            while (reader.Read());
        }
        catch (JsonException ex)
        {
            return "not valid JSON: " + ex.Message;
        }
        catch (InvalidOperationException ex)
        {
            return $"a string cannot be decoded at byte {reader.TokenStartIndex}: {ex.Message}";
        }

        return null;
    }

    /// <summary>Whether a JSON number reads as a finite double (<c>1e400</c> does not: receivers read infinity, or refuse it).</summary>
    public static bool IsFiniteDouble(ReadOnlySpan<byte> number) =>
        double.TryParse(Encoding.UTF8.GetString(number), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value);

    /// <summary>The tokens of a JSON text that is known to be grammatically valid.</summary>
    public static List<Token> Tokens(ReadOnlySpan<byte> json)
    {
        var tokens = new List<Token>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 4096 });
        while (reader.Read())
        {
            string? text = reader.TokenType switch
            {
                JsonTokenType.String or JsonTokenType.PropertyName => Decode(reader.ValueSpan),
                JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                _ => null,
            };
            tokens.Add(new Token(reader.TokenType, text));
        }

        return tokens;
    }

    /// <summary>Throws unless the two JSON texts have the same tokens (but the scalar values of members named <paramref name="unknowable"/>).</summary>
    public static void AssertEquivalent(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, string what, string? unknowable = null)
    {
        var e = Tokens(expected);
        var a = Tokens(actual);
        if (unknowable is not null)
        {
            Blank(e, unknowable);
            Blank(a, unknowable);
        }

        int n = Math.Min(e.Count, a.Count);
        for (int i = 0; i < n; i++)
        {
            if (e[i] != a[i])
                throw new OracleFailure("content", $"{what}: token {i} differs: expected {e[i]}, written {a[i]}.");
        }

        OracleFailure.Check(e.Count == a.Count, "content", $"{what}: {e.Count} tokens expected, {a.Count} written.");
    }

    private static void Blank(List<Token> tokens, string name)
    {
        for (int i = 0; i + 1 < tokens.Count; i++)
        {
            if (tokens[i].Type == JsonTokenType.PropertyName && tokens[i].Text == name)
                tokens[i + 1] = tokens[i + 1] with { Text = "?" };
        }
    }

    /// <summary>Decodes the content of a JSON string (between the quotes) on its own: lone surrogates become U+FFFD.</summary>
    public static string Decode(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOf((byte)'\\') < 0)
            return Encoding.UTF8.GetString(raw);

        var units = new List<char>(raw.Length);
        int i = 0;
        while (i < raw.Length)
        {
            int next = raw[i..].IndexOf((byte)'\\');
            int plain = next < 0 ? raw.Length - i : next;
            units.AddRange(Encoding.UTF8.GetString(raw.Slice(i, plain)));
            i += plain;
            if (i >= raw.Length)
                break;

            byte esc = raw[i + 1];
            if (esc == (byte)'u')
            {
                units.Add((char)int.Parse(Encoding.ASCII.GetString(raw.Slice(i + 2, 4)), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 6;
                continue;
            }

            units.Add(esc switch
            {
                (byte)'b' => '\b',
                (byte)'f' => '\f',
                (byte)'n' => '\n',
                (byte)'r' => '\r',
                (byte)'t' => '\t',
                _ => (char)esc, // \" \\ \/
            });
            i += 2;
        }

        return ReplaceLoneSurrogates(units);
    }

    /// <summary>What a string becomes once lone surrogates are replaced by U+FFFD (what Sluice promises to write).</summary>
    public static string ReplaceLoneSurrogates(IReadOnlyList<char> units)
    {
        var sb = new StringBuilder(units.Count);
        for (int i = 0; i < units.Count; i++)
        {
            char c = units[i];
            if (char.IsHighSurrogate(c) && i + 1 < units.Count && char.IsLowSurrogate(units[i + 1]))
            {
                sb.Append(c).Append(units[++i]);
            }
            else
            {
                sb.Append(char.IsSurrogate(c) ? Replacement : c);
            }
        }

        return sb.ToString();
    }

    /// <summary>A short printable form of a possibly huge string with odd characters.</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s.Length > 60 ? s[..60] : s)
        {
            if (c is < ' ' or > '~')
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else
                sb.Append(c);
        }

        if (s.Length > 60)
            sb.Append(CultureInfo.InvariantCulture, $"...({s.Length} chars)");
        return sb.Append('"').ToString();
    }
}
