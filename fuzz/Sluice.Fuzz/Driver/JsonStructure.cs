using System.Text.Json;

namespace Sluice.Fuzz.Driver;

/// <summary>
/// Where the values, members and strings of a (possibly broken) JSON input lie, for structure-aware
/// mutations. Reads as far as the input is valid; what follows a syntax error is simply not listed.
/// </summary>
internal sealed class JsonStructure
{
    /// <summary>Byte ranges [Start, End) of complete values (scalars and containers).</summary>
    public List<(int Start, int End)> Values { get; } = [];

    /// <summary>Byte ranges of complete <c>"name": value</c> members.</summary>
    public List<(int Start, int End)> Members { get; } = [];

    /// <summary>Byte ranges of string contents (between the quotes), names included.</summary>
    public List<(int Start, int End)> Strings { get; } = [];

    public static JsonStructure Of(ReadOnlySpan<byte> input)
    {
        var s = new JsonStructure();
        var reader = new Utf8JsonReader(input, new JsonReaderOptions { MaxDepth = 100_000, AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        var open = new Stack<(int Start, int MemberStart)>();
        int memberStart = -1;
        try
        {
            while (reader.Read())
            {
                int start = (int)reader.TokenStartIndex;
                int end = (int)reader.BytesConsumed;
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        memberStart = start;
                        s.Strings.Add((start + 1, start + 1 + reader.ValueSpan.Length));
                        continue;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        open.Push((start, memberStart));
                        memberStart = -1;
                        continue;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        if (open.Count == 0)
                            return s;
                        var (containerStart, containerMember) = open.Pop();
                        s.Add(containerStart, end, containerMember);
                        break;
                    case JsonTokenType.String:
                        s.Strings.Add((start + 1, start + 1 + reader.ValueSpan.Length));
                        s.Add(start, end, memberStart);
                        break;
                    case JsonTokenType.Comment:
                        continue;
                    default:
                        s.Add(start, end, memberStart);
                        break;
                }

                memberStart = -1;
            }
        }
        catch (JsonException)
        {
            // The rest is not JSON; what was read so far is enough.
        }

        return s;
    }

    private void Add(int start, int end, int memberStart)
    {
        Values.Add((start, end));
        if (memberStart >= 0)
            Members.Add((memberStart, end));
    }
}
