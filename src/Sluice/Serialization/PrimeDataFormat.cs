using System.Text.Encodings.Web;
using System.Text.Json;
using Sluice.Producing;

namespace Sluice.Serialization;

/// <summary>
/// PrimeData (its Events Tracking API): every event to <c>POST /powehi/smile</c> (one partition) in
/// <c>{"events":[...]}</c>. Each event:
/// <list type="bullet">
/// <item><c>eventType</c>: a track's event name; for a page, <see cref="PageEventType"/> (default
/// <c>view</c>, the schema of the API documentation's example). Every type must be registered as an Event Schema.</item>
/// <item><c>sessionId</c>: a page's session id; otherwise (a track, or a page for a user) the user id,
/// the stable id the caller gave.</item>
/// <item><c>scope</c>: the client id, as the API requires ("exactly the same as the X-Client-ID").</item>
/// <item><c>timeStamp</c>: when the event happened, UTC ISO 8601.</item>
/// <item><c>properties</c>: always, <c>{}</c> if none were given (as in the API documentation's example).</item>
/// <item><c>target</c>: for a page with a name, <c>{"itemId":"&lt;name&gt;","itemType":"page"}</c>; otherwise
/// omitted, as is <c>source</c>.</item>
/// </list>
/// The context has no place in this API and is not sent. Auth (for the transport): <c>X-Client-Id</c>
/// and <c>X-Client-Access-Token</c>.
/// </summary>
public sealed class PrimeDataFormat : WireFormat
{
    /// <summary>The only partition.</summary>
    public const int EventsPartition = 0;

    private static readonly JsonEncodedText EventType = JsonEncodedText.Encode("eventType");
    private static readonly JsonEncodedText SessionId = JsonEncodedText.Encode("sessionId");
    private static readonly JsonEncodedText Scope = JsonEncodedText.Encode("scope");
    private static readonly JsonEncodedText TimeStamp = JsonEncodedText.Encode("timeStamp");
    private static readonly JsonEncodedText Properties = JsonEncodedText.Encode("properties");
    private static readonly JsonEncodedText Target = JsonEncodedText.Encode("target");
    private static readonly JsonEncodedText ItemId = JsonEncodedText.Encode("itemId");
    private static readonly JsonEncodedText ItemType = JsonEncodedText.Encode("itemType");
    private static readonly JsonEncodedText PageItem = JsonEncodedText.Encode("page");

    // Encoded once, with the serializer's escaping, and written as is into every event.
    private readonly JsonEncodedText _scope;
    private readonly JsonEncodedText _pageEventType;

    /// <summary>A format for the data source <paramref name="clientId"/>.</summary>
    /// <param name="clientId">
    /// The data source id: the <c>X-Client-Id</c> header and every event's <c>scope</c>, which must be the same. Spaces and tabs
    /// around it are dropped, as HTTP drops them around the header's value: the scope is what the header carries.
    /// </param>
    /// <param name="pageEventType">The <c>eventType</c> of page views.</param>
    /// <exception cref="ArgumentException">An argument is null, empty or whitespace only.</exception>
    public PrimeDataFormat(string clientId, string pageEventType = "view")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        ArgumentException.ThrowIfNullOrWhiteSpace(pageEventType);
        clientId = clientId.Trim(' ', '\t');
        ClientId = clientId;
        PageEventType = pageEventType;
        _scope = JsonEncodedText.Encode(clientId, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
        _pageEventType = JsonEncodedText.Encode(pageEventType, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);
    }

    /// <summary>The data source id (<c>scope</c>), without the spaces or tabs around the one given.</summary>
    public string ClientId { get; }

    /// <inheritdoc/>
    internal override string? SpoolBinding => ClientId;

    /// <summary>The <c>eventType</c> of page views.</summary>
    public string PageEventType { get; }

    /// <inheritdoc/>
    public override int PartitionCount => 1;

    /// <summary>1,000 events or 2 MB per request (the limits the ThriveStack Track and Page APIs document).</summary>
    internal override (int Events, int Bytes)? ApiLimits => BuiltInApiLimits;

    /// <summary>False: the context has no place in this API.</summary>
    public override bool WritesContext => false;

    /// <inheritdoc/>
    public override int PartitionOf(EventKind kind) => EventsPartition;

    /// <inheritdoc/>
    public override string EndpointPath(int partition) => "/powehi/smile";

    /// <inheritdoc/>
    public override ReadOnlySpan<byte> BatchPrefix(int partition) => """{"events":["""u8;

    /// <inheritdoc/>
    public override ReadOnlySpan<byte> BatchSuffix(int partition) => "]}"u8;

    /// <inheritdoc/>
    public override void WriteEvent(Utf8JsonWriter writer, in EventView e)
    {
        ArgumentNullException.ThrowIfNull(writer);
        bool page = e.Kind == EventKind.Page;
        writer.WriteStartObject();
        if (page)
            writer.WriteString(EventType, _pageEventType);
        else
            writer.WriteString(EventType, e.Name);
        writer.WriteString(SessionId, page && e.SessionId is not null ? e.SessionId : e.UserId);
        writer.WriteString(Scope, _scope);
        e.WriteTimestamp(writer, TimeStamp);
        e.WriteProperties(writer, Properties);
        if (page && !string.IsNullOrEmpty(e.Name))
        {
            writer.WriteStartObject(Target);
            writer.WriteString(ItemId, e.Name);
            writer.WriteString(ItemType, PageItem);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }
}
