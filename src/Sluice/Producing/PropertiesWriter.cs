using System.Collections;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Sluice.Producing;

/// <summary>
/// Writes one event's properties (or context) object into the calling thread's arena: a snapshot,
/// so the caller may reuse everything it passed once the call returns. The object itself is open
/// when a callback receives the writer; write its members with the keyed methods, nest with
/// <c>WriteStartObject(key)</c>/<c>WriteStartArray(key)</c>, and write array elements with the
/// <c>…Value</c> methods. Misuse (a null key, NaN, unbalanced nesting, nesting deeper than
/// <see cref="MaxDepth"/>) throws <see cref="ArgumentException"/> naming the field.
/// <para>What is written as given: strings (keys too) are escaped as <c>Utf8JsonWriter</c> escapes them, so control
/// characters become <c>\n</c>, <c>\u0001</c>…, and a lone UTF-16 surrogate becomes U+FFFD
/// (<c>\uFFFD</c>). Keys are not checked for duplicates (that would cost every event a set lookup):
/// a key written twice is sent twice, and most receivers keep the last. A value too long for a batch
/// is not an error here: the event is accepted, then rejected as oversize and counted.</para>
/// </summary>
public ref struct PropertiesWriter
{
    /// <summary>
    /// The deepest nesting allowed, counting the properties (or context) object itself; deeper
    /// throws <see cref="ArgumentException"/> ("properties.key: nested deeper than 32 levels").
    /// </summary>
    /// <remarks>
    /// Receivers commonly cap nesting at 64 (System.Text.Json's and Json.NET's default), and a batch
    /// body wraps properties in up to three more levels (envelope, event array, event object); 32
    /// keeps every body well inside that cap.
    /// </remarks>
    public const int MaxDepth = 32;

    private readonly ProducerState _state;
    private readonly string _field;
    private PropertyEntry[] _entries; // the state's current chunk's entries, cached: one bounds check per entry
    private int _pos;                 // next entry; the state's own cursor is updated at Complete and before a Grow
    private ulong _arrays; // bit d set: the container at depth d is an array
    private int _depth;    // 0 = the properties object itself
    private bool _raw;     // the object was given as raw JSON: already complete

    internal PropertiesWriter(ProducerState state, string field)
    {
        // The object's own braces are not entries: the serializer writes them (fewer entries per event).
        _state = state;
        _field = field;
        _entries = state.Chunk?.Entries ?? [];
        _pos = state.Pos;
        MinBytes = 1; // see Open
    }

    /// <summary>
    /// A lower bound of the UTF-8 JSON size written so far: at least one byte per character, and a
    /// separator per member, which with one bracket per container is exact for brackets and commas.
    /// </summary>
    internal long MinBytes { get; private set; }

    /// <summary>Writes <c>"key": "value"</c> (or <c>null</c> for a null value).</summary>
    public void WriteString(string key, string? value) => Text(Key(key), value);

    /// <summary>Writes <c>"key": value</c> for an integer.</summary>
    public void WriteNumber(string key, long value) => Next(Key(key), EntryTag.Int64).Bits = value;

    /// <summary>Writes <c>"key": value</c> for a finite floating-point number; NaN and infinities throw.</summary>
    public void WriteNumber(string key, double value) => Number(Key(key), value);

    /// <summary>Writes <c>"key": value</c> for a finite single-precision number (<c>0.1f</c> as <c>0.1</c>); NaN and infinities throw.</summary>
    public void WriteNumber(string key, float value) => Single(Key(key), value);

    /// <summary>Writes <c>"key": true|false</c>.</summary>
    public void WriteBoolean(string key, bool value) => Next(Key(key), value ? EntryTag.True : EntryTag.False);

    /// <summary>Writes <c>"key": "2024-10-20T15:51:35.059000Z"</c> (converted to UTC).</summary>
    public void WriteString(string key, DateTimeOffset value) => Next(Key(key), EntryTag.DateTime).Bits = value.UtcTicks;

    /// <summary>Writes <c>"key": null</c>.</summary>
    public void WriteNull(string key) => Next(Key(key), EntryTag.Null);

    /// <summary>Opens a nested object under <paramref name="key"/>.</summary>
    public void WriteStartObject(string key) => Open(Key(key), array: false);

    /// <summary>Opens a nested array under <paramref name="key"/>.</summary>
    public void WriteStartArray(string key) => Open(Key(key), array: true);

    /// <summary>Writes a string array element (or <c>null</c>).</summary>
    public void WriteStringValue(string? value) => Text(Element(), value);

    /// <summary>Writes an integer array element.</summary>
    public void WriteNumberValue(long value) => Next(Element(), EntryTag.Int64).Bits = value;

    /// <summary>Writes a finite floating-point array element.</summary>
    public void WriteNumberValue(double value) => Number(Element(), value);

    /// <summary>Writes a finite single-precision array element (<c>0.1f</c> as <c>0.1</c>, as <see cref="WriteNumber(string, float)"/> does); NaN and infinities throw.</summary>
    public void WriteNumberValue(float value) => Single(Element(), value);

    /// <summary>Writes a boolean array element.</summary>
    public void WriteBooleanValue(bool value) => Next(Element(), value ? EntryTag.True : EntryTag.False);

    /// <summary>Writes a <c>null</c> array element.</summary>
    public void WriteNullValue() => Next(Element(), EntryTag.Null);

    /// <summary>Opens an object as an array element.</summary>
    public void WriteStartObject() => Open(Element(), array: false);

    /// <summary>Opens an array as an array element.</summary>
    public void WriteStartArray() => Open(Element(), array: true);

    /// <summary>Closes the innermost nested object.</summary>
    public void WriteEndObject() => Close(array: false);

    /// <summary>Closes the innermost nested array.</summary>
    public void WriteEndArray() => Close(array: true);

    /// <summary>Closes the properties object; throws if nested containers were left open.</summary>
    internal void Complete()
    {
        _state.Pos = _pos;
        if (!_raw && _depth != 0)
            ThrowUnclosed();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void ThrowUnclosed()
        => ThrowHelper.Argument($"{_field}: {_depth} nested object(s) or array(s) were not closed.", _field);

    /// <summary>Writes any supported CLR value: the convenient API's type switch. A null key writes an array element.</summary>
    internal void WriteObject(string? key, object? value)
    {
        if (key is null) Element();
        else Key(key);

        switch (value)
        {
            case null: Next(key, EntryTag.Null); break;
            case string s: Text(key, s); break;
            case bool b: Next(key, b ? EntryTag.True : EntryTag.False); break;
            case int i: Next(key, EntryTag.Int64).Bits = i; break;
            case long l: Next(key, EntryTag.Int64).Bits = l; break;
            case double d: Number(key, d); break;
            case float f: Single(key, f); break;
            case short s16: Next(key, EntryTag.Int64).Bits = s16; break;
            case byte u8: Next(key, EntryTag.Int64).Bits = u8; break;
            case sbyte s8: Next(key, EntryTag.Int64).Bits = s8; break;
            case ushort u16: Next(key, EntryTag.Int64).Bits = u16; break;
            case uint u32: Next(key, EntryTag.Int64).Bits = u32; break;
            case ulong u64: Next(key, EntryTag.UInt64).Bits = (long)u64; break;
            case decimal m: Decimal(key, m); break;
            case DateTimeOffset dto: Next(key, EntryTag.DateTime).Bits = dto.UtcTicks; break;
            case DateTime dt: Next(key, EntryTag.DateTime).Bits = (dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : dt).Ticks; break;
            case Guid g: Guid(key, g); break;
            case char c: Text(key, c.ToString()); break;
            case Enum e: Text(key, e.ToString()); break;
            case JsonElement je: Json(key, je); break;

            // A JsonNode is enumerable: a JsonObject went on as an array of key-value pairs ({} sent as []), and one with
            // members was refused naming its first pair, not the property. Refused as what it is, as the docs say.
            case System.Text.Json.Nodes.JsonNode node: Unsupported(key, node); break;
            case IReadOnlyDictionary<string, object?> map: Members(key, map); break;
            case IDictionary<string, object?> map: Members(key, map); break;
            case IDictionary map: Members(key, map); break;
            case IEnumerable list: Elements(key, list); break;
            default: Unsupported(key, value); break;
        }
    }

    private readonly void Unsupported(string? key, object value)
        => ThrowHelper.Argument($"{PathOf(key)}: values of type {value.GetType()} are not supported (use strings, numbers, booleans, null, dates, dictionaries or arrays).", _field);

    /// <summary>Writes members of a dictionary into the open object (the convenient API's entry point).</summary>
    internal void WriteMembers(IReadOnlyDictionary<string, object?> map)
    {
        if (map is Dictionary<string, object?> concrete)
        {
            foreach (var (k, v) in concrete)
                WriteObject(k ?? NullKey(), v);
            return;
        }

        foreach (var (k, v) in map)
            WriteObject(k ?? NullKey(), v);
    }

    /// <summary>
    /// Replaces the whole object with validated raw JSON (the pre-serialized API); lone surrogate
    /// escapes are repaired in the copy if the validation found <paramref name="loneSurrogates"/>.
    /// </summary>
    internal void WriteRawObject(scoped ReadOnlySpan<byte> json, bool loneSurrogates)
    {
        // Raw JSON stands for the object itself, braces included.
        _raw = true;
        MinBytes = 0;
        if (json.Length > _state.MaxEventBytes)
        {
            // It cannot fit a batch: the serializer rejects the event as oversize from MinBytes
            // alone, before reading any entry, so don't copy megabytes into the arena for nothing.
            MinBytes = json.Length;
            return;
        }

        Raw(null, json, EntryTag.RawObject, loneSurrogates);
    }

    private string NullKey()
    {
        ThrowHelper.Argument($"{_field}: a property key is null.", _field);
        return null!;
    }

    private void Members<TMap>(string? key, TMap map)
        where TMap : IEnumerable
    {
        Open(key, array: false);
        switch (map)
        {
            case IReadOnlyDictionary<string, object?> ro:
                WriteMembers(ro);
                break;
            case IDictionary<string, object?> rw:
                foreach (var (k, v) in rw)
                    WriteObject(k ?? NullKey(), v);
                break;
            case IDictionary plain:
                foreach (DictionaryEntry entry in plain)
                {
                    if (entry.Key is not string k)
                        ThrowHelper.Argument($"{PathOf(key: null, item: false)}: dictionary keys must be strings.", _field);
                    else
                        WriteObject(k, entry.Value);
                }

                break;
        }

        Close(array: false);
    }

    private void Elements(string? key, IEnumerable list)
    {
        Open(key, array: true);
        foreach (var item in list)
            WriteObject(null, item);
        Close(array: true);
    }

    private string Key(string key)
    {
        if (key is null)
            ThrowHelper.Argument($"{_field}: a property key is null.", _field);
        if ((_arrays & (1UL << _depth)) != 0)
            ThrowHelper.Argument($"{PathOf(key)}: a keyed member (\"{key}\") cannot be written inside an array; use the …Value methods.", _field);
        MinBytes += key.Length + 4;
        return key;
    }

    private string? Element()
    {
        if ((_arrays & (1UL << _depth)) == 0)
            ThrowHelper.Argument($"{_field}: an array element was written outside an array; use the keyed methods.", _field);
        MinBytes += 1;
        return null;
    }

    private void Text(string? key, string? value)
    {
        if (value is null)
        {
            Next(key, EntryTag.Null);
            return;
        }

        MinBytes += value.Length + 2;
        Next(key, EntryTag.String).Text = value;
    }

    private void Number(string? key, double value)
    {
        Finite(key, value);
        Next(key, EntryTag.Double).Bits = BitConverter.DoubleToInt64Bits(value);
    }

    private void Single(string? key, float value)
    {
        Finite(key, value);
        Next(key, EntryTag.Single).Bits = BitConverter.SingleToInt32Bits(value);
    }

    private readonly void Finite(string? key, double value)
    {
        if (!double.IsFinite(value))
            ThrowHelper.Argument($"{PathOf(key)}: {value} is not a JSON number (NaN and infinities are refused).", _field);
    }

    private void Decimal(string? key, decimal value)
    {
        Span<byte> text = stackalloc byte[32];
        value.TryFormat(text, out int written, default, CultureInfo.InvariantCulture);
        Raw(key, text[..written], EntryTag.Raw);
    }

    private void Guid(string? key, Guid value)
    {
        Span<byte> text = stackalloc byte[38];
        text[0] = (byte)'"';
        value.TryFormat(text[1..], out int written, "D");
        text[written + 1] = (byte)'"';
        Raw(key, text[..(written + 2)], EntryTag.Raw);
    }

    private void Json(string? key, JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Undefined)
            ThrowHelper.Argument($"{PathOf(key)}: an undefined JsonElement has no value.", _field);

        // Its raw text is copied as is, so it must be strict JSON (a document parsed with comments or
        // trailing commas allowed keeps them) and fit the nesting left at this depth.
        var raw = JsonMarshal.GetRawUtf8Value(element);
        string member = key ?? "[]";
        bool loneSurrogates;
        try
        {
            loneSurrogates = RawJson.Validate(raw, _field, MaxDepth - _depth - 1, objectOnly: false, member);
        }
        catch (ArgumentException ex) when (_depth > 0)
        {
            // Nested, the value's place is more than its key: named as every other error here names it, found only now (it costs a walk).
            string message = ThrowHelper.MessageOf(ex);
            string written = $"{_field}.{member}";
            throw new ArgumentException(string.Concat(PathOf(key), message.AsSpan(message.StartsWith(written, StringComparison.Ordinal) ? written.Length : 0)), _field, ex.InnerException);
        }

        Raw(key, raw, EntryTag.Raw, loneSurrogates);
    }

    /// <summary>
    /// Copies validated JSON into the arena, repairing lone surrogate escapes in the copy if the text
    /// has <paramref name="loneSurrogates"/> (only then: reading back what was just written costs).
    /// </summary>
    private void Raw(string? key, scoped ReadOnlySpan<byte> json, EntryTag tag, bool loneSurrogates = false)
    {
        var s = _state;
        s.Pos = _pos;
        if (s.Chunk is null || s.Pos == s.Chunk.Entries.Length || s.BytePos + json.Length > s.Chunk.Bytes.Length)
            s.Grow(1, json.Length);
        var copy = s.Chunk!.Bytes.AsSpan(s.BytePos, json.Length);
        json.CopyTo(copy);
        _entries = s.Chunk.Entries;
        _pos = s.Pos + 1;
        ref var e = ref s.Chunk.Entries[s.Pos++];
        e.Key = key;
        e.Tag = tag;
        e.Bits = ((long)s.BytePos << 32) | (uint)json.Length;
        s.BytePos += json.Length;
        MinBytes += json.Length;
        if (loneSurrogates)
            LoneSurrogates.ReplaceEscapes(copy);
    }

    private void Open(string? key, bool array)
    {
        if (_depth + 1 >= MaxDepth)
            ThrowHelper.Argument($"{PathOf(key)}: nested deeper than {MaxDepth} levels.", _field);
        Next(key, array ? EntryTag.StartArray : EntryTag.StartObject);
        _depth++;
        if (array) _arrays |= 1UL << _depth;
        else _arrays &= ~(1UL << _depth);
        MinBytes += 1; // one bracket: the other is paid by the first member's separator, which it does not write
    }

    private void Close(bool array)
    {
        bool isArray = (_arrays & (1UL << _depth)) != 0;
        if (_depth == 0 || isArray != array)
            ThrowHelper.Argument($"{_field}: {(array ? "WriteEndArray" : "WriteEndObject")} does not match an open {(array ? "array" : "object")}.", _field);
        _depth--;
        Next(null, array ? EntryTag.EndArray : EntryTag.EndObject);
    }

    /// <summary>
    /// Where the next value (<paramref name="key"/>, or with a null key the next element of the open array) sits, for an error
    /// message: the field and the keys and indexes of the containers open around it, as <c>context.device.os</c> or
    /// <c>properties.items[2].price</c>; with <paramref name="item"/> false, the open container itself. The writer keeps no
    /// path (that would cost every event): it is rebuilt from the entries the event has written, which start at the event's
    /// start (a context's after the properties', whose containers are all closed).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private readonly string PathOf(string? key, bool item = true)
    {
        var open = new List<(string Name, bool Array, int Elements)>();
        for (int i = _state.EventStart; i < _pos; i++)
        {
            var tag = _entries[i].Tag;
            if (tag is EntryTag.EndObject or EntryTag.EndArray)
            {
                if (open.Count > 0)
                    open.RemoveAt(open.Count - 1);
                continue;
            }

            string name = Segment(open, _entries[i].Key);
            if (tag is EntryTag.StartObject or EntryTag.StartArray)
                open.Add((name, tag == EntryTag.StartArray, 0));
        }

        var path = new System.Text.StringBuilder(_field);
        foreach (var (name, _, _) in open)
            path.Append(name);
        if (item)
            path.Append(Segment(open, key));
        return path.ToString();

        // ".key" in an object; "[n]" in an array, counting the element.
        static string Segment(List<(string Name, bool Array, int Elements)> open, string? key)
        {
            if (open.Count == 0 || !open[^1].Array)
                return "." + (key ?? "[]");
            var (name, array, elements) = open[^1];
            open[^1] = (name, array, elements + 1);
            return $"[{elements}]";
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref PropertyEntry Next(string? key, EntryTag tag)
    {
        var entries = _entries;
        int pos = _pos;
        if ((uint)pos >= (uint)entries.Length)
        {
            MoveToNewChunk();
            entries = _entries;
            pos = _pos;
        }

        _pos = pos + 1;
        ref var e = ref entries[pos];
        e.Key = key;
        e.Tag = tag;
        return ref e;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void MoveToNewChunk()
    {
        _state.Pos = _pos;
        _state.Grow(1, 0);
        _entries = _state.Chunk!.Entries;
        _pos = _state.Pos;
    }
}
