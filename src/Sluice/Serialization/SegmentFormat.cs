using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using Sluice.Producing;

namespace Sluice.Serialization;

/// <summary>
/// Segment / Customer.io batch API (the common batch shape): every event to
/// <c>POST /v1/batch</c> (one partition) in <c>{"batch":[...],"sentAt":"..."}</c>, where <c>sentAt</c>
/// is the time of each send attempt (a fixed-width placeholder rewritten in place just before it).
/// <para>Each event: <c>type</c> (<c>track</c>/<c>page</c>); <c>userId</c>, or for a page given only a
/// session id, <c>anonymousId</c> = the session id; <c>event</c> (track: the event name) or <c>name</c>
/// (page: the name passed to <c>Page</c>, required, as the API's page call marks it);
/// <c>properties</c> and <c>context</c> if given; <c>timestamp</c>; and <c>messageId</c>.</para>
/// <para>The <c>messageId</c> is written into the bytes once, so every retry of a batch carries the same
/// ids and the server can de-duplicate: a UUID-shaped string (RFC 4122 version 4 layout) made of a
/// random 64-bit value drawn when this instance is created and the event's number in its engine.
/// An engine made with an instance another engine took writes with a copy that draws its own value, so engines made
/// from one options object, side by side or one after the other, never send two events under one id.</para>
/// Auth (for the transport): HTTP Basic with the write key as user name.
/// </summary>
public sealed class SegmentFormat : WireFormat
{
    /// <summary>The only partition.</summary>
    public const int BatchPartition = 0;

    private const int MessageIdLength = 36;

    private static readonly JsonEncodedText Type = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText Track = JsonEncodedText.Encode("track");
    private static readonly JsonEncodedText Page = JsonEncodedText.Encode("page");
    private static readonly JsonEncodedText UserId = JsonEncodedText.Encode("userId");
    private static readonly JsonEncodedText AnonymousId = JsonEncodedText.Encode("anonymousId");
    private static readonly JsonEncodedText Event = JsonEncodedText.Encode("event");
    private static readonly JsonEncodedText Name = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText Properties = JsonEncodedText.Encode("properties");
    private static readonly JsonEncodedText Context = JsonEncodedText.Encode("context");
    private static readonly JsonEncodedText Timestamp = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText MessageId = JsonEncodedText.Encode("messageId");

    private static ReadOnlySpan<byte> Prefix => """{"batch":["""u8;

    // The placeholder is a valid timestamp, so a body is valid JSON even if never stamped.
    private static ReadOnlySpan<byte> Suffix => """],"sentAt":"0001-01-01T00:00:00.000000Z"}"""u8;

    /// <summary>Where the sentAt value starts in <see cref="Suffix"/>.</summary>
    private static readonly int SentAtOffset = Suffix.IndexOf("0001-"u8);

    // The random half of every message id, with the UUID version nibble (4) in place; immutable.
    private readonly ulong _idPrefix;

    // 1 once an engine took this instance (ForEngine): the event numbers of another engine start again at 0.
    private int _taken;

    /// <summary>A format whose message ids start with a fresh random 64-bit value.</summary>
    public SegmentFormat()
    {
        Span<byte> random = stackalloc byte[sizeof(ulong)];
        RandomNumberGenerator.Fill(random);
        _idPrefix = (BinaryPrimitives.ReadUInt64LittleEndian(random) & ~0xF000UL) | 0x4000UL;
    }

    /// <inheritdoc/>
    public override int PartitionCount => 1;

    /// <summary>1,000 events or 2 MB per request (the limits the ThriveStack Track and Page APIs document).</summary>
    internal override (int Events, int Bytes)? ApiLimits => BuiltInApiLimits;

    /// <inheritdoc/>
    public override int PartitionOf(EventKind kind) => BatchPartition;

    /// <inheritdoc/>
    public override string EndpointPath(int partition) => "/v1/batch";

    /// <inheritdoc/>
    public override ReadOnlySpan<byte> BatchPrefix(int partition) => Prefix;

    /// <inheritdoc/>
    public override ReadOnlySpan<byte> BatchSuffix(int partition) => Suffix;

    /// <summary>Writes <paramref name="now"/> as <c>sentAt</c> into the batch's suffix.</summary>
    public override void StampBeforeSend(int partition, Span<byte> suffix, DateTimeOffset now) =>
        Timestamps.Format(now.UtcTicks, suffix.Slice(SentAtOffset, Timestamps.Length));

    /// <summary>This instance for the first engine made with it; a copy with its own random bits for any other.</summary>
    internal override WireFormat ForEngine() => Interlocked.Exchange(ref _taken, 1) == 0 ? this : new SegmentFormat();

    /// <summary>A page needs a name: the API's page call marks <c>name</c> Required ("The name of the page").</summary>
    /// <exception cref="ArgumentException">A page without a name (parameter <c>name</c>).</exception>
    public override void Validate(EventKind kind, string? userId, string? sessionId, string? name)
    {
        if (kind == EventKind.Page && string.IsNullOrEmpty(name))
            throw new ArgumentException("A page needs a name in the Segment/Customer.io batch format (its page call requires one): pass Page(..., name: \"Pricing\").", nameof(name));
    }

    /// <inheritdoc/>
    public override void WriteEvent(Utf8JsonWriter writer, in EventView e)
    {
        ArgumentNullException.ThrowIfNull(writer);
        bool track = e.Kind == EventKind.Track;
        writer.WriteStartObject();
        writer.WriteString(Type, track ? Track : Page);
        if (e.UserId is not null)
            writer.WriteString(UserId, e.UserId);
        else
            writer.WriteString(AnonymousId, e.SessionId);
        writer.WriteString(track ? Event : Name, e.Name);
        if (e.HasProperties)
        {
            e.WriteProperties(writer, Properties);
        }

        if (e.HasContext)
        {
            e.WriteContext(writer, Context);
        }

        e.WriteTimestamp(writer, Timestamp);
        Span<byte> messageId = stackalloc byte[MessageIdLength];
        FormatMessageId(e.Id, messageId);
        writer.WriteString(MessageId, messageId);
        writer.WriteEndObject();
    }

    /// <summary>
    /// <c>pppppppp-pppp-4ppp-vnnn-nnnnnnnnnnnn</c>: 60 random bits (p), the event number's low 62 bits
    /// (n, with the variant bits v), lower-case hex: the UUID of those 16 bytes in network order, as the runtime formats one.
    /// </summary>
    internal void FormatMessageId(long eventId, Span<byte> destination)
    {
        Span<byte> uuid = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(uuid, _idPrefix);
        BinaryPrimitives.WriteUInt64BigEndian(uuid[8..], ((ulong)eventId & 0x3FFF_FFFF_FFFF_FFFFUL) | 0x8000_0000_0000_0000UL);
        new Guid(uuid, bigEndian: true).TryFormat(destination[..MessageIdLength], out _); // the default format: 8-4-4-4-12 digits
    }
}
