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

    /// <summary>Reads from the first <c>{</c> or <c>[</c>, so a binary prefix (the server-reply target's control bytes) is skipped.</summary>
    public static JsonStructure Of(ReadOnlySpan<byte> input)
    {
        int offset = input.IndexOfAny((byte)'{', (byte)'[');
        var s = new JsonStructure();
        if (offset < 0)
            return s;
        s.Read(input[offset..]);
        if (offset > 0)
        {
            foreach (var list in (List<(int Start, int End)>[])[s.Values, s.Members, s.Strings])
            {
                for (int i = 0; i < list.Count; i++)
                    list[i] = (list[i].Start + offset, list[i].End + offset);
            }
        }

        return s;
    }

    private void Read(ReadOnlySpan<byte> input)
    {
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
                        Strings.Add((start + 1, start + 1 + reader.ValueSpan.Length));
                        continue;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        open.Push((start, memberStart));
                        memberStart = -1;
                        continue;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        if (open.Count == 0)
                            return;
                        var (containerStart, containerMember) = open.Pop();
                        Add(containerStart, end, containerMember);
                        break;
                    case JsonTokenType.String:
                        Strings.Add((start + 1, start + 1 + reader.ValueSpan.Length));
                        Add(start, end, memberStart);
                        break;
                    case JsonTokenType.Comment:
                        continue;
                    default:
                        Add(start, end, memberStart);
                        break;
                }

                memberStart = -1;
            }
        }
        catch (JsonException)
        {
            // The rest is not JSON; what was read so far is enough.
        }
    }

    private void Add(int start, int end, int memberStart)
    {
        Values.Add((start, end));
        if (memberStart >= 0)
            Members.Add((memberStart, end));
    }
}
