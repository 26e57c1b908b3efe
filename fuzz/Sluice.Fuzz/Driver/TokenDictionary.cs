using System.Globalization;

namespace Sluice.Fuzz.Driver;

/// <summary>
/// Tokens worth inserting whole, read from a libFuzzer-format dictionary (<c>name="value"</c> or
/// <c>"value"</c> per line, <c>\\</c>, <c>\"</c> and <c>\xNN</c> escapes, <c>#</c> comments), so the
/// same file serves a coverage-guided engine.
/// </summary>
internal sealed class TokenDictionary
{
    private TokenDictionary(List<byte[]> tokens) => Tokens = tokens;

    public IReadOnlyList<byte[]> Tokens { get; }

    public static TokenDictionary Empty { get; } = new([]);

    public static TokenDictionary Load(string path)
    {
        var tokens = new List<byte[]>();
        int lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            int open = line.IndexOf('"', StringComparison.Ordinal);
            if (open < 0 || line[^1] != '"' || open == line.Length - 1)
                throw new FormatException($"{path}:{lineNumber}: expected \"token\" or name=\"token\".");
            tokens.Add(Unescape(line[(open + 1)..^1], path, lineNumber));
        }

        return new TokenDictionary(tokens);
    }

    private static byte[] Unescape(string s, string path, int lineNumber)
    {
        var bytes = new List<byte>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c != '\\')
            {
                bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(c.ToString()));
                continue;
            }

            if (i + 1 >= s.Length)
                throw new FormatException($"{path}:{lineNumber}: dangling backslash.");
            char e = s[++i];
            if (e == 'x' && i + 2 < s.Length)
            {
                bytes.Add(byte.Parse(s.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else
            {
                bytes.Add((byte)e);
            }
        }

        return [.. bytes];
    }
}
