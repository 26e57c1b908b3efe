using System.Text;
using System.Text.Json;

namespace Sluice.Collector;

/// <summary>
/// Segment / Customer.io batch (spec 003 and the common batch shape): <c>POST /v1/batch</c> with
/// <c>{"batch":[...],"sentAt":"..."}</c> and HTTP Basic auth whose user name is the write key. Each
/// event: <c>type</c> <c>track</c> or <c>page</c>; <c>userId</c> and/or <c>anonymousId</c>; <c>event</c>
/// (track) or <c>name</c> (page: spec 003 marks it Required); <c>messageId</c>; optional
/// <c>timestamp</c>, <c>properties</c>, <c>context</c>, <c>integrations</c>. Stricter than the service in
/// one point: <c>messageId</c> is required, since it is how redeliveries are recognised (and Sluice
/// always sends one). The body has no member but <c>batch</c>, <c>sentAt</c>, <c>context</c> and
/// <c>integrations</c>, each once. Answers <c>{"success":true}</c>.
/// </summary>
internal sealed class SegmentEndpoint(ApiRecord record, CollectorOptions options, CollectorFaults faults, CollectorCredentials credentials)
    : ApiEndpoint(CollectorApi.Segment, "/v1/batch", record, options, faults, credentials)
{
    private static readonly KnownFields Known = new(
        "type", "userId", "anonymousId", "event", "name", "category", "properties", "context", "integrations",
        "timestamp", "messageId", "sentAt", "receivedAt", "originalTimestamp", "version", "channel");

    // The batch call's own members; a second "batch" would leave which events were meant to the parser.
    private static readonly KnownFields Envelope = new("batch", "sentAt", "context", "integrations");

    protected override string UnauthorizedMessage => "Invalid write key";

    protected override bool IsAuthorized(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        const string Scheme = "Basic ";
        if (header is null || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
            return false;
        Span<byte> decoded = stackalloc byte[header.Length];
        if (!Convert.TryFromBase64String(header[Scheme.Length..], decoded, out int length))
            return false;
        string pair = Encoding.UTF8.GetString(decoded[..length]);
        int colon = pair.IndexOf(':', StringComparison.Ordinal);
        string user = colon < 0 ? pair : pair[..colon];
        return string.Equals(user, Credentials.SegmentWriteKey, StringComparison.Ordinal);
    }

    protected override bool TryReadEnvelope(JsonElement root, out JsonElement events, out string? sentAt, out string? error)
    {
        events = default;
        sentAt = null;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("batch", out events) || events.ValueKind != JsonValueKind.Array)
        {
            error = "The body must be an object with a \"batch\" array.";
            return false;
        }

        if (Envelope.Check(root) is { } unknown)
        {
            error = "The body: " + unknown + ".";
            return false;
        }

        if (root.TryGetProperty("sentAt", out var sent))
        {
            sentAt = sent.ValueKind == JsonValueKind.String ? sent.GetString() : sent.GetRawText();
            error = Fields.TimestampValue(sent, "sentAt", utc: false);
            return error is null;
        }

        error = null;
        return true;
    }

    protected override string? Validate(JsonElement e)
    {
        string? error = Known.Check(e) ?? Fields.RequiredString(e, "type");
        if (error is not null)
            return error;
        string type = e.GetProperty("type").GetString()!;
        if (type is not ("track" or "page"))
            return $"type must be \"track\" or \"page\" (was \"{type}\")";
        return (e.TryGetProperty("userId", out _) || e.TryGetProperty("anonymousId", out _) ? null : "userId or anonymousId is required")
            ?? Fields.OptionalString(e, "userId")
            ?? Fields.OptionalString(e, "anonymousId")
            ?? Fields.RequiredString(e, type == "track" ? "event" : "name")
            ?? Fields.RequiredString(e, "messageId")
            ?? Fields.Timestamp(e, "timestamp", required: false, utc: false)
            ?? Fields.OptionalObject(e, "properties")
            ?? Fields.OptionalObject(e, "context")
            ?? Fields.OptionalObject(e, "integrations");
    }

    protected override string Describe(JsonElement e) => Fields.Identity(e, "messageId");

    protected override Task WriteAcceptedAsync(HttpResponse response, IReadOnlyList<JsonElement> events, string? warning) =>
        JsonReply.WriteAsync(response, 200, 0, static (w, _) => w.WriteBoolean("success", true));
}
