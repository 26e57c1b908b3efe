using System.Text.Json;

namespace Sluice.Collector;

/// <summary>
/// PrimeData (spec 004): <c>POST /powehi/smile</c> with <c>X-Client-Id</c> and <c>X-Client-Access-Token</c>
/// and <c>{"events":[...]}</c>. Each event: <c>eventType</c>, <c>sessionId</c>, <c>scope</c> ("should be
/// exactly the same as the X-Client-ID"), <c>timeStamp</c> (ISO 8601, any offset); optional
/// <c>properties</c>, <c>sendAt</c>, and <c>source</c> and <c>target</c>, each <c>{"itemId":"…","itemType":"…"}</c>
/// as in the spec's example. The body has no member but <c>events</c>. Answers
/// <c>{"updated":N}</c> where N is the number of distinct sessions in the request (the profiles it touched);
/// errors are <c>{"message":"..."}</c>.
/// </summary>
internal sealed class PrimeDataEndpoint(ApiRecord record, CollectorOptions options, CollectorFaults faults, CollectorCredentials credentials)
    : ApiEndpoint(CollectorApi.PrimeData, "/powehi/smile", record, options, faults, credentials)
{
    private static readonly KnownFields Known = new(
        "eventType", "sessionId", "properties", "scope", "timeStamp", "sendAt", "source", "target");

    private static readonly KnownFields Envelope = new("events");

    private static readonly KnownFields ItemFields = new("itemId", "itemType");

    protected override bool SpeaksOfSuccess => false;

    protected override string UnauthorizedMessage => "X-Client-Id or X-Client-Access-Token missing or invalid";

    protected override bool IsAuthorized(HttpRequest request) =>
        string.Equals(request.Headers["X-Client-Id"], Credentials.PrimeDataClientId, StringComparison.Ordinal)
        && string.Equals(request.Headers["X-Client-Access-Token"], Credentials.PrimeDataAccessToken, StringComparison.Ordinal);

    protected override bool TryReadEnvelope(JsonElement root, out JsonElement events, out string? sentAt, out string? error)
    {
        sentAt = null;
        events = default;
        bool ok = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("events", out events) && events.ValueKind == JsonValueKind.Array;
        error = !ok ? "The body must be an object with an \"events\" array."
            : Envelope.Check(root) is { } unknown ? "The body: " + unknown + "."
            : null;
        return error is null;
    }

    protected override string? Validate(JsonElement e) =>
        Known.Check(e)
        ?? Fields.RequiredString(e, "eventType")
        ?? Fields.RequiredString(e, "sessionId")
        ?? Fields.RequiredString(e, "scope")
        ?? (e.GetProperty("scope").ValueEquals(Credentials.PrimeDataClientId) ? null : "scope must be exactly the same as the X-Client-Id")
        ?? Fields.Timestamp(e, "timeStamp", required: true, utc: false)
        ?? Fields.Timestamp(e, "sendAt", required: false, utc: false)
        ?? Fields.OptionalObject(e, "properties")
        ?? Item(e, "source")
        ?? Item(e, "target");

    /// <summary>A <c>source</c> or <c>target</c>, if given: <c>{"itemId":"…","itemType":"…"}</c>, the shape of the spec's example.</summary>
    private static string? Item(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var item))
            return null;
        if (item.ValueKind != JsonValueKind.Object)
            return $"{name} must be an object";
        return (ItemFields.Check(item) ?? Fields.RequiredString(item, "itemId") ?? Fields.RequiredString(item, "itemType")) is { } error
            ? $"{name}: {error}"
            : null;
    }

    protected override string Describe(JsonElement e) => Fields.Identity(e, "sessionId");

    protected override Task WriteAcceptedAsync(HttpResponse response, IReadOnlyList<JsonElement> events, string? warning)
    {
        int sessions = events.Select(e => e.GetProperty("sessionId").GetString()).Distinct(StringComparer.Ordinal).Count();
        return JsonReply.WriteAsync(response, 200, sessions, static (w, n) => w.WriteNumber("updated", n));
    }
}
