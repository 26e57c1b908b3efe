using System.Text;

namespace Sluice.Producing;

/// <summary>
/// The identifiers and names of NDJSON events (<c>user_id</c>, <c>session_id</c>, <c>event_name</c>,
/// <c>name</c>) as strings, without a new string per line: a replay repeats the same few thousand,
/// so each is made once and found again by its text. Bounded: past <see cref="MaxEntries"/> distinct
/// strings it starts over, so a stream of ever-new ids costs what it would without the cache (one
/// string each) plus a lookup, and holds at most that many short strings. Used by one ingest, on one
/// thread, at a time; the engine keeps it between ingests, so that the next one finds the same ids.
/// </summary>
internal sealed class IdentifierCache
{
    /// <summary>Longer texts (in UTF-8 bytes) are not cached: ids are short, and the lookup decodes on the stack.</summary>
    public const int MaxLength = 128;

    public const int MaxEntries = 16_384;

    private readonly HashSet<string> _strings = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _byText;

    public IdentifierCache() => _byText = _strings.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The string of <paramref name="utf8"/>, which must be valid UTF-8 (the event was checked whole).</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxLength)
            return Encoding.UTF8.GetString(utf8);

        Span<char> chars = stackalloc char[MaxLength];
        var text = chars[..Encoding.UTF8.GetChars(utf8, chars)];
        if (_byText.TryGetValue(text, out string? known))
            return known;
        if (_strings.Count >= MaxEntries)
            _strings.Clear();
        string made = text.ToString();
        _strings.Add(made);
        return made;
    }
}
