using System.Collections;
using System.Text;
using System.Text.Json;

namespace Sluice.Fuzz.Targets;

/// <summary>
/// Builds odd but plausible event content from fuzz decisions: strings with control characters,
/// lone and paired surrogates, non-BMP text, megabyte strings; numbers at their limits, NaN and
/// infinities; dates at the ends of their range; JsonElements (strict or not); nesting up to and
/// past the limit, 10,000 levels deep, even cyclic; unsupported types and non-string keys.
/// </summary>
internal sealed class ValueGen(FuzzData d)
{
    private static readonly string[] Units =
    [
        "a", "Z", "0", " ", "\0", "\u0001", "\u001f", "\u007f", "\u0085", "\"", "\\", "/", "\n", "\t", "é", "中", "\u2028", "\uFEFF",
        "\uFFFF", "\uFFFD", "😀", "\uD800", "\uDBFF", "\uDC00", "\uDFFF", "\uDC00\uD800", "<", "&", "'",
    ];

    /// <summary>Built once: megabyte strings, some of which grow sixfold when escaped.</summary>
    private static readonly string[] Huge = [new('x', 70_000), new('\u0001', 400_000), new('y', 1 << 20), new('z', 3 << 20), new('\uD800', 300_000)];

    private static readonly double[] Doubles = [0.0, -0.0, 1.5, -2.25e-7, 0.1, 1e308, double.Epsilon, double.MaxValue, double.NaN, double.PositiveInfinity, double.NegativeInfinity];

    private static readonly long[] Longs = [0, -1, 1, long.MinValue, long.MaxValue, int.MaxValue + 1L];

    private static readonly DateTimeOffset[] Dates =
    [
        DateTimeOffset.MinValue, DateTimeOffset.MaxValue, DateTimeOffset.UnixEpoch,
        new(2024, 10, 20, 22, 51, 35, 59, TimeSpan.FromHours(7)), new(1, 1, 1, 13, 0, 0, TimeSpan.FromHours(-12)), new(9999, 12, 31, 1, 0, 0, TimeSpan.FromHours(14)),
    ];

    private static readonly JsonElement[] Elements = BuildElements();

    /// <summary>Nesting depths for chains: just under, at and over the limit, and absurd.</summary>
    private static readonly int[] ChainDepths = [30, 31, 32, 33, 10_000];

    /// <summary>A megabyte string (some grow sixfold when escaped); costly to check, so the program uses few.</summary>
    public string HugeText() => d.Pick(Huge);

    public string Text()
    {
        int n = d.Int(10);
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
            sb.Append(d.Pick(Units));
        return sb.ToString();
    }

    /// <summary>A properties object for the dictionary API (the object itself is level 1).</summary>
    public Dictionary<string, object?> Map(int level = 1)
    {
        var map = new Dictionary<string, object?>();
        int n = d.Int(level == 1 ? 7 : 4);
        for (int i = 0; i < n; i++)
        {
            string key = Text();
            var value = Value(level + 1);
            if (!map.TryAdd(key, value))
                map.TryAdd($"{key}#{i}", value);
        }

        return map;
    }

    /// <summary>A properties object for the callback API: only what <c>PropertiesWriter</c> writes, duplicate keys allowed.</summary>
    public Members CallbackMap(int level = 1)
    {
        var members = new Members();
        int n = d.Int(level == 1 ? 7 : 4);
        for (int i = 0; i < n; i++)
        {
            if (i > 0 && d.OneIn(8))
            {
                members.Add(members[d.Int(i)]); // the same key again
                continue;
            }

            members.Add(new(Text(), CallbackValue(level + 1)));
        }

        return members;
    }

    /// <summary>A value at nesting <paramref name="level"/> for the dictionary API.</summary>
    private object? Value(int level)
    {
        bool nest = level < 6;
        switch (d.Int(nest ? 20 : 14))
        {
            case 0: case 1: return Text();
            case 2: return d.Pick(Longs);
            case 3: return d.Pick(Doubles);
            case 4: return d.OneIn(2);
            case 5: return null;
            case 6: return d.Pick(Dates);
            case 7: return d.Pick((decimal[])[0m, -1.50m, decimal.MaxValue, 0.0000001m]);
            case 8: return new Guid(d.Bytes(16) is { Length: 16 } g ? g : new byte[16]);
            case 9: return d.Pick(Elements);
            case 10: return (float)d.Pick(Doubles);
            case 11: return d.Pick((object[])[(int)-5, (short)7, (byte)255, (sbyte)-8, (ushort)9, uint.MaxValue, ulong.MaxValue, 'c', DayOfWeek.Friday, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2020, 1, 1)]);
            case 12: return d.OneIn(4) ? new Version(1, 2) : Text(); // unsupported type
            case 13: return d.Int(2) == 0 ? Chain(d.Pick(ChainDepths), asList: d.OneIn(2), bottom: d.OneIn(2) ? d.Pick(Elements) : Text()) : Text();
            case 14: case 15: return Map(level);
            case 16: return new SortedDictionary<string, object?>(Map(level), StringComparer.Ordinal);
            case 17: return Table(level);
            case 18: return Enumerable.Range(0, d.Int(4)).Select(_ => Value(level + 1)).ToArray();
            default:
                var cyclic = new Dictionary<string, object?>();
                if (d.OneIn(8)) cyclic["self"] = cyclic;
                else cyclic["list"] = new List<object?> { Value(level + 2) };
                return cyclic;
        }
    }

    private object? CallbackValue(int level)
    {
        bool nest = level < 6;
        switch (d.Int(nest ? 10 : 7))
        {
            case 0: case 1: return Text();
            case 2: return d.Pick(Longs);
            case 3: return d.Pick(Doubles);
            case 4: return d.OneIn(2);
            case 5: return null;
            case 6: return d.OneIn(3) ? ChainMembers(d.Pick(ChainDepths)) : Text();
            case 7: case 8: return CallbackMap(level);
            default: return Enumerable.Range(0, d.Int(4)).Select(_ => CallbackValue(level + 1)).ToList();
        }
    }

    private Hashtable Table(int level)
    {
        var table = new Hashtable();
        foreach (var (k, v) in Map(level))
            table[k] = v;
        if (d.OneIn(4))
            table[42] = "a non-string key";
        return table;
    }

    /// <summary>Objects (or arrays) nested <paramref name="depth"/> deep, built without recursion.</summary>
    private static object Chain(int depth, bool asList, object bottom)
    {
        object inner = bottom;
        for (int i = 0; i < depth; i++)
            inner = asList ? new List<object?> { inner } : new Dictionary<string, object?> { ["d"] = inner };
        return inner;
    }

    private static Members ChainMembers(int depth)
    {
        var inner = new Members { new("d", "bottom") };
        for (int i = 1; i < depth; i++)
            inner = [new("d", inner)];
        return inner;
    }

    private static JsonElement[] BuildElements()
    {
        string[] texts =
        [
            "{\"a\":[1,2,{\"b\":null}]}", "123", "\"text\"", "true", "[]", "{}", "\"\\ud800 and \\udc00\"", "{\"\\udc00\":\"\\ud83d\\ude00\"}",
            "[1,2,]", "{/* comment */\"a\":1}", "{\"a\":1,}", new string('[', 40) + new string(']', 40), new string('[', 20) + new string(']', 20),
        ];
        var options = new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 100 };
        var elements = texts.Select(t =>
        {
            using var doc = JsonDocument.Parse(t, options);
            return doc.RootElement.Clone();
        }).ToList();

        // JsonDocument does not check UTF-8 inside strings: an element can carry invalid bytes.
        using (var doc = JsonDocument.Parse((byte[])[(byte)'"', 0xC3, (byte)'"'], options))
            elements.Add(doc.RootElement.Clone());
        elements.Add(default); // Undefined
        return [.. elements];
    }
}

/// <summary>An object as written through the callback API: members in order, duplicate keys allowed.</summary>
internal sealed class Members : List<KeyValuePair<string, object?>>;
