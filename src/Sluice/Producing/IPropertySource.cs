namespace Sluice.Producing;

/// <summary>
/// One of the three ways a caller gives properties or context. Implemented by structs (and a ref
/// struct) so the engine's single enqueue path is specialised per way without boxing.
/// </summary>
internal interface IPropertySource
{
    bool IsPresent { get; }

    void Write(ref PropertiesWriter writer);
}

/// <summary>Nothing given.</summary>
internal readonly struct NoProperties : IPropertySource
{
    public bool IsPresent => false;

    public void Write(ref PropertiesWriter writer)
    {
    }
}

/// <summary>The convenient way: a dictionary, walked and copied at the call.</summary>
internal readonly struct DictionarySource(IReadOnlyDictionary<string, object?>? map) : IPropertySource
{
    public bool IsPresent => map is not null;

    public void Write(ref PropertiesWriter writer) => writer.WriteMembers(map!);
}

/// <summary>The allocation-free way: a callback with a state argument.</summary>
internal readonly struct CallbackSource<TState>(PropertiesCallback<TState>? callback, TState state) : IPropertySource
{
    public bool IsPresent => callback is not null;

    public void Write(ref PropertiesWriter writer) => callback!(ref writer, state);
}

/// <summary>The wrapping-SDK way: pre-serialized UTF-8 JSON, validated at the call. Empty means absent.</summary>
internal readonly ref struct RawJsonSource(ReadOnlySpan<byte> json, string field) : IPropertySource
{
    private readonly ReadOnlySpan<byte> _json = json;

    public bool IsPresent => !_json.IsEmpty;

    public void Write(ref PropertiesWriter writer)
    {
        bool loneSurrogates = RawJson.Validate(_json, field);
        writer.WriteRawObject(_json, loneSurrogates);
    }
}

/// <summary>
/// Pre-serialized UTF-8 JSON already checked as <see cref="RawJsonSource"/> checks it (an event read
/// whole by <see cref="EventJson"/>): copied without reading it a second time. Empty means absent.
/// </summary>
internal readonly ref struct CheckedJsonSource(ReadOnlySpan<byte> json, bool loneSurrogates) : IPropertySource
{
    private readonly ReadOnlySpan<byte> _json = json;

    public bool IsPresent => !_json.IsEmpty;

    public void Write(ref PropertiesWriter writer) => writer.WriteRawObject(_json, loneSurrogates);
}
