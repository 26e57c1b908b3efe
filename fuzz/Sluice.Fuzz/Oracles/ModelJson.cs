using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Sluice.Serialization;

namespace Sluice.Fuzz.Oracles;

/// <summary>
/// The documented mapping of .NET values to JSON (strings, integers, finite floating point (a float as a float),
/// booleans, null, decimal as written by <c>decimal.ToString</c>, dates as UTC ISO 8601 with
/// microseconds, Guid "D", char and enum names as strings, JsonElement as its text, dictionaries
/// with string keys as objects, other sequences as arrays), written by the oracle with the engine's
/// writer settings. Throws <see cref="Invalid"/> for what the API must refuse: NaN or infinities,
/// an unsupported type, a non-string key, a JsonElement that is not strict JSON, nesting deeper
/// than <see cref="JsonRules.MaxLevels"/>.
/// </summary>
internal static class ModelJson
{
    /// <summary>The value must be refused with an <see cref="ArgumentException"/>.</summary>
    internal sealed class Invalid(string why) : Exception(why);

    /// <summary>The properties object for <paramref name="map"/>, or throws <see cref="Invalid"/>.</summary>
    public static byte[] Object(IEnumerable map)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, EventWriter.WriterOptions))
            Value(w, map, level: 1);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes a value that sits at nesting <paramref name="level"/> (the properties object is level 1).</summary>
    private static void Value(Utf8JsonWriter w, object? value, int level)
    {
        switch (value)
        {
            case null: w.WriteNullValue(); break;
            case string s: w.WriteStringValue(s); break;
            case bool b: w.WriteBooleanValue(b); break;
            case int or long or short or byte or sbyte or ushort or uint: w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong u: w.WriteNumberValue(u); break;
            case double d: Finite(w, d); break;
            case float f: Finite(w, f); break;
            case decimal m: w.WriteRawValue(m.ToString(CultureInfo.InvariantCulture), skipInputValidation: true); break;
            case DateTimeOffset t: w.WriteStringValue(ExpectedEvent.Format(t)); break;
            case DateTime t: w.WriteStringValue(ExpectedEvent.Format(new DateTimeOffset(t.Kind == DateTimeKind.Local ? t.ToUniversalTime().Ticks : t.Ticks, TimeSpan.Zero))); break;
            case Guid g: w.WriteStringValue(g.ToString("D")); break;
            case char c: w.WriteStringValue(c.ToString()); break;
            case Enum e: w.WriteStringValue(e.ToString()); break;
            case JsonElement je: Element(w, je, level); break;
            case Targets.Members members: Members(w, members.Select(p => ((object)p.Key, p.Value)), level); break;
            case IReadOnlyDictionary<string, object?> map: Members(w, map.Select(p => ((object)p.Key, p.Value)), level); break;
            case IDictionary<string, object?> map: Members(w, map.Select(p => ((object)p.Key, p.Value)), level); break;
            case IDictionary map: Members(w, map.Cast<DictionaryEntry>().Select(p => (p.Key, p.Value)), level); break;
            case IEnumerable list: Elements(w, list, level); break;
            default: throw new Invalid($"values of type {value.GetType()} are not supported");
        }
    }

    private static void Members(Utf8JsonWriter w, IEnumerable<(object Key, object? Value)> members, int level)
    {
        Level(level);
        w.WriteStartObject();
        foreach (var (key, value) in members)
        {
            if (key is not string k)
                throw new Invalid($"a key of type {key.GetType()}");
            w.WritePropertyName(k);
            Value(w, value, level + 1);
        }

        w.WriteEndObject();
    }

    private static void Elements(Utf8JsonWriter w, IEnumerable items, int level)
    {
        Level(level);
        w.WriteStartArray();
        foreach (var item in items)
            Value(w, item, level + 1);
        w.WriteEndArray();
    }

    private static void Element(Utf8JsonWriter w, JsonElement element, int level)
    {
        if (element.ValueKind == JsonValueKind.Undefined)
            throw new Invalid("an undefined JsonElement");
        var raw = JsonMarshal.GetRawUtf8Value(element);
        if (JsonRules.ValueProblem(raw, JsonRules.MaxLevels - level + 1) is { } problem)
            throw new Invalid("a JsonElement " + problem);
        w.WriteRawValue(raw, skipInputValidation: true);
    }

    private static void Finite(Utf8JsonWriter w, double d)
    {
        if (!double.IsFinite(d))
            throw new Invalid($"{d} is not a JSON number");
        w.WriteNumberValue(d);
    }

    /// <summary>A float is written as a float (<c>0.1f</c> as <c>0.1</c>), not widened to a double first.</summary>
    private static void Finite(Utf8JsonWriter w, float f)
    {
        if (!float.IsFinite(f))
            throw new Invalid($"{f} is not a JSON number");
        w.WriteNumberValue(f);
    }

    private static void Level(int level)
    {
        if (level > JsonRules.MaxLevels)
            throw new Invalid($"nesting level {level} is deeper than {JsonRules.MaxLevels}");
    }
}
