using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Producing;

namespace Sluice.Serialization;

/// <summary>
/// One partition's serializer: a <see cref="Utf8JsonWriter"/> that stays attached to a batch body across
/// events, with what makes writing an event cheap (pre-encoded property names, the timestamp text of
/// the current second). The writer puts the comma between two events itself (each is a complete value
/// at depth 0, and with validation off it writes the separator before the next one), and
/// <see cref="Written"/> gives an event's exact end without a flush. Used only by the serializer thread.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "Disposing a Utf8JsonWriter over an IBufferWriter only flushes it; the batch body's stream is what holds pooled memory, and its batch disposes it.")]
internal sealed class EventWriter
{
    /// <summary>
    /// The JSON the engine writes: compact, UTF-8 as is (only what JSON requires is escaped), structure
    /// guaranteed by construction. The benchmarks' ceiling and the tests' oracles use the same settings.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private Utf8JsonWriter? _json;
    private ArrayBufferWriter<byte>? _scratch;

    public EventWriter(DefaultContext? defaultContext = null) => DefaultContext = defaultContext;

    /// <summary>The members merged into every event's context, if any.</summary>
    internal DefaultContext? DefaultContext { get; }

    /// <summary>Where a pre-serialized context is merged with the defaults; reused from event to event.</summary>
    internal ArrayBufferWriter<byte> Scratch => _scratch ??= new ArrayBufferWriter<byte>(1024);

    /// <summary>This partition's pre-encoded property names.</summary>
    internal PropertyNameCache Names { get; } = new(WriterOptions.Encoder!);

    /// <summary>The event timestamps' text.</summary>
    internal TimestampText TimestampText { get; } = new();

    /// <summary>Bytes written since <see cref="Attach"/>, committed to the output or not.</summary>
    public long Written => _json!.BytesCommitted + _json.BytesPending;

    /// <summary>Bytes written since <see cref="Attach"/> and handed to the output (the rest are pending in the writer).</summary>
    public long Committed => _json!.BytesCommitted;

    /// <summary>Starts writing at the end of <paramref name="output"/>, with nothing pending and no separator owed.</summary>
    public void Attach(IBufferWriter<byte> output)
    {
        if (_json is null)
            _json = new Utf8JsonWriter(output, WriterOptions);
        else
            _json.Reset(output);
    }

    /// <summary>Hands what is pending to the output.</summary>
    public void Flush() => _json!.Flush();

    /// <summary>Writes one event with <paramref name="format"/>, after a comma if an event came before since <see cref="Attach"/>.</summary>
    /// <exception cref="InvalidOperationException">The format wrote nothing, or left an object or array open.</exception>
    public void Write(WireFormat format, ref EventRecord record, long id)
    {
        var json = _json!;
        long before = Written;
        format.WriteEvent(json, new EventView(ref record, id, this));
        // An event written as nothing would still be counted in the batch (and delivered with it), and its end would
        // fall inside its neighbour, which a bisection after a 400 would then cut apart.
        if (Written == before)
        {
            throw new InvalidOperationException($"The wire format {format.GetType().Name} wrote nothing for a {record.Kind} event: " +
                "WriteEvent must write one JSON value per event (refuse the events a format cannot send in its Validate).");
        }

        if (json.CurrentDepth != 0)
            throw new InvalidOperationException($"The wire format {format.GetType().Name} left {json.CurrentDepth} object(s) or array(s) open.");
    }
}
