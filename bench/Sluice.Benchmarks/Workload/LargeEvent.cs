using System.Text.Json;
using Sluice.Serialization;
using Sluice.Producing;

namespace Sluice.Benchmarks;

/// <summary>
/// A large track event: 64 string properties of about 110 characters (about 8 KB of properties)
/// and the standard 1-key context. Shows how the pipeline scales with event size.
/// </summary>
internal static class LargeEvent
{
    public const int PropertyCount = 64;

    private static readonly string[] Keys = Enumerable.Range(0, PropertyCount).Select(k => $"attribute_{k:D2}").ToArray();
    private static readonly JsonEncodedText[] EncodedKeys = Keys.Select(k => JsonEncodedText.Encode(k)).ToArray();
    private static readonly string[] Values = Enumerable.Range(0, 8)
        .Select(v => $"value {v}: " + string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 4)).TrimEnd())
        .ToArray();

    public static string Value(long i, int k) => Values[(i + k) & 7];

    public static void WriteProperties(ref PropertiesWriter w, long i)
    {
        for (int k = 0; k < Keys.Length; k++)
            w.WriteString(Keys[k], Value(i, k));
    }

    public static EnqueueResult Track(SluiceEngine engine, long i)
        => engine.Track(StandardEvent.UserId(i), StandardEvent.Name, i,
            static (ref PropertiesWriter w, long s) => WriteProperties(ref w, s),
            static (ref PropertiesWriter w, long s) => StandardEvent.WriteContext(ref w, s));

    public static Dictionary<string, object?> PropertiesDictionary(long i)
    {
        var map = new Dictionary<string, object?>(PropertyCount);
        for (int k = 0; k < Keys.Length; k++)
            map[Keys[k]] = Value(i, k);
        return map;
    }

    /// <summary>The ceiling's inner step for the large event (see <see cref="StandardEvent.WriteJson"/>).</summary>
    public static void WriteJson(Utf8JsonWriter w, long i, long timestampTicks)
    {
        Span<byte> timestamp = stackalloc byte[Timestamps.Length];
        w.WriteStartObject();
        w.WriteString(StandardEvent.Fields.UserId, StandardEvent.UserId(i));
        w.WriteString(StandardEvent.Fields.EventName, StandardEvent.Name);
        Timestamps.Format(timestampTicks, timestamp);
        w.WriteString(StandardEvent.Fields.Timestamp, timestamp);
        w.WriteStartObject(StandardEvent.Fields.Properties);
        for (int k = 0; k < EncodedKeys.Length; k++)
            w.WriteString(EncodedKeys[k], Value(i, k));
        w.WriteEndObject();
        w.WriteStartObject(StandardEvent.Fields.Context);
        w.WriteString(StandardEvent.Fields.GroupId, StandardEvent.GroupId);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
