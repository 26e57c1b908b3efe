using Sluice.Producing;

namespace Sluice.Fuzz.Targets;

/// <summary>How a properties callback misuses the writer, if it does: each must end in an <see cref="ArgumentException"/>.</summary>
internal enum Misuse
{
    None,
    ExtraEnd,
    Unclosed,
    ElementInObject,
    KeyInArray,
}

/// <summary>Writes a generated <see cref="Members"/> tree through <see cref="PropertiesWriter"/>, as a caller's callback would.</summary>
internal static class CallbackWriter
{
    public static void Write(ref PropertiesWriter w, (Members Members, Misuse Misuse) state)
    {
        foreach (var (key, value) in state.Members)
            Write(ref w, key, value);

        switch (state.Misuse)
        {
            case Misuse.ExtraEnd:
                w.WriteEndObject();
                break;
            case Misuse.Unclosed:
                w.WriteStartObject("open");
                break;
            case Misuse.ElementInObject:
                w.WriteNullValue();
                break;
            case Misuse.KeyInArray:
                w.WriteStartArray("list");
                w.WriteNull("key");
                w.WriteEndArray();
                break;
        }
    }

    /// <summary>Writes one member (a key) or array element (no key).</summary>
    private static void Write(ref PropertiesWriter w, string? key, object? value)
    {
        switch (value)
        {
            case null:
                if (key is null) w.WriteNullValue();
                else w.WriteNull(key);
                break;
            case string s:
                if (key is null) w.WriteStringValue(s);
                else w.WriteString(key, s);
                break;
            case long l:
                if (key is null) w.WriteNumberValue(l);
                else w.WriteNumber(key, l);
                break;
            case double d:
                if (key is null) w.WriteNumberValue(d);
                else w.WriteNumber(key, d);
                break;
            case bool b:
                if (key is null) w.WriteBooleanValue(b);
                else w.WriteBoolean(key, b);
                break;
            case Members members:
                if (key is null) w.WriteStartObject();
                else w.WriteStartObject(key);
                foreach (var (k, v) in members)
                    Write(ref w, k, v);
                w.WriteEndObject();
                break;
            case List<object?> items:
                if (key is null) w.WriteStartArray();
                else w.WriteStartArray(key);
                foreach (var item in items)
                    Write(ref w, null, item);
                w.WriteEndArray();
                break;
            default:
                throw new InvalidOperationException($"The generator made a {value.GetType()} for the callback API.");
        }
    }
}
