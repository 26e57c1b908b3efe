using System.Buffers;
using System.Text;
using System.Text.Json;
using Sluice.Batching;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Serialization;

/// <summary>
/// The serializer writes repeated property names from a cache of pre-encoded names. Whatever the
/// names (escaped, long, colliding, equal but distinct strings, reordered), the bytes must be
/// exactly what a plain Utf8JsonWriter with the engine's options writes from the strings.
/// </summary>
public class PropertyNameCacheTests
{
    private static readonly string[] Awkward =
    [
        "plan", "é", "quo\"te", "back\\slash", "<script>", "\u0001ctl", "emoji 😀", "tab\t", "", new string('k', 100),
    ];

    [Fact]
    public async Task Cached_names_write_the_same_bytes_as_plain_strings()
    {
        var random = new Random(11);
        var manyKeys = Enumerable.Range(0, 1_500).Select(i => $"key_{i}").ToArray(); // more names than cache slots
        var events = new List<List<(string Key, object Value)>>();
        for (int e = 0; e < 600; e++)
        {
            var members = new List<(string, object)>();
            foreach (string key in Awkward.OrderBy(_ => random.Next()).Take(random.Next(1, Awkward.Length)))
                members.Add((key, e));
            for (int k = 0; k < 4; k++)
                members.Add((manyKeys[random.Next(manyKeys.Length)], "v"));
            members.Add((new string("copy".AsSpan()), true)); // equal content, a new string every time
            events.Add(members.DistinctBy(m => m.Item1).ToList());
        }

        var transport = new CheckingTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions(), transport))
        {
            // Each event twice: the second sighting is what admits a name into the cache.
            foreach (var members in events.Concat(events))
            {
                engine.Track("u", "e", members, static (ref PropertiesWriter w, List<(string Key, object Value)> m) =>
                {
                    foreach (var (key, value) in m)
                    {
                        switch (value)
                        {
                            case int i: w.WriteNumber(key, i); break;
                            case string s: w.WriteString(key, s); break;
                            case bool b: w.WriteBoolean(key, b); break;
                        }
                    }
                });
            }
        }

        var written = transport.Batches.OrderBy(b => b.Sequence).SelectMany(BatchJson.Events)
            .Select(e => e.GetProperty("properties").GetRawText()).ToList();
        var expected = events.Concat(events).Select(Plain).ToList();
        Assert.Equal(expected, written);
    }

    [Fact]
    public void A_name_is_encoded_only_on_its_second_sighting()
    {
        var cache = new PropertyNameCache(EventWriter.WriterOptions.Encoder!);
        string name = "feature";
        Assert.False(cache.TryGet(name, 0, out _));
        Assert.True(cache.TryGet(name, 0, out var encoded));
        Assert.Equal("feature"u8.ToArray(), encoded.EncodedUtf8Bytes.ToArray());
        Assert.True(cache.TryGet(name, 5, out var byHash)); // found by hash at another position
        Assert.True(cache.TryGet(name, 0, out var byPosition)); // and where it was last seen
        Assert.True(byHash.EncodedUtf8Bytes.Overlaps(encoded.EncodedUtf8Bytes), "encoded once, not per sighting");
        Assert.True(byPosition.EncodedUtf8Bytes.Overlaps(encoded.EncodedUtf8Bytes));
        Assert.False(cache.TryGet(new string(name.AsSpan()), 0, out _)); // by reference: an equal string is another name
    }

    [Fact]
    public void A_cached_name_is_escaped_with_the_engines_settings()
    {
        var cache = new PropertyNameCache(EventWriter.WriterOptions.Encoder!);
        string name = "a\"b\\c\u0001é";
        cache.TryGet(name, 3, out _);
        Assert.True(cache.TryGet(name, 3, out var encoded));
        Assert.Equal("a\\\"b\\\\c\\u0001é", Encoding.UTF8.GetString(encoded.EncodedUtf8Bytes));
    }

    [Fact]
    public void Names_up_to_the_limit_are_cached_at_any_position()
    {
        var cache = new PropertyNameCache(EventWriter.WriterOptions.Encoder!);
        string longest = new('n', 64);
        string other = "other";
        Assert.False(cache.TryGet(longest, 1_000, out _));
        Assert.True(cache.TryGet(longest, 1_000, out var encoded));
        Assert.Equal(longest, Encoding.UTF8.GetString(encoded.EncodedUtf8Bytes));

        // Another name at a position that wraps onto the same one: each still finds its own encoding.
        cache.TryGet(other, 1_000 + PropertyNameCache.Positions, out _);
        Assert.True(cache.TryGet(other, 1_000 + PropertyNameCache.Positions, out var second));
        Assert.True(cache.TryGet(longest, 1_000, out var first));
        Assert.Equal(["other", longest], new[] { second, first }.Select(e => Encoding.UTF8.GetString(e.EncodedUtf8Bytes)));
    }

    [Fact]
    public void Names_longer_than_the_limit_are_never_cached()
    {
        var cache = new PropertyNameCache(EventWriter.WriterOptions.Encoder!);
        string name = new('n', 65);
        for (int i = 0; i < 3; i++)
            Assert.False(cache.TryGet(name, 0, out _));
    }

    private static string Plain(List<(string Key, object Value)> members)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EventWriter.WriterOptions))
        {
            w.WriteStartObject();
            foreach (var (key, value) in members)
            {
                switch (value)
                {
                    case int i: w.WriteNumber(key, i); break;
                    case string s: w.WriteString(key, s); break;
                    case bool b: w.WriteBoolean(key, b); break;
                }
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
