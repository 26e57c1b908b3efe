using System.Text.Json;

namespace Sluice.Collector;

/// <summary>
/// ThriveStack Page (spec 000): <c>POST /api/page</c> with <c>x-api-key: &lt;key&gt;</c>; each event has
/// exactly one of <c>user_id</c> and <c>session_id</c>, a <c>timestamp</c> (UTC ISO 8601), and optional
/// <c>properties</c> and <c>context</c> objects. A success carries the spec's <c>documentation</c> link.
/// </summary>
internal sealed class PageEndpoint(ApiRecord record, CollectorOptions options, CollectorFaults faults, CollectorCredentials credentials)
    : ThriveStackEndpoint(CollectorApi.ThriveStackPage, "/api/page", record, options, faults, credentials)
{
    private static readonly KnownFields Known = new("user_id", "session_id", "timestamp", "properties", "context");

    protected override string UnauthorizedMessage => "API key missing or invalid";

    protected override string SuccessMessage => "Page(s) tracked successfully";

    protected override string? Documentation => "https://docs.app.thrivestack.ai/getting-started/analyze/instrumentation/identification/page";

    protected override bool IsAuthorized(HttpRequest request) =>
        string.Equals(request.Headers["x-api-key"], Credentials.PageApiKey, StringComparison.Ordinal);

    protected override string? Validate(JsonElement e)
    {
        bool user = e.TryGetProperty("user_id", out _);
        bool session = e.TryGetProperty("session_id", out _);
        return Known.Check(e)
            ?? (user && session ? "either session_id or user_id must be provided, but not both"
                : !user && !session ? "either session_id or user_id must be provided" : null)
            ?? Fields.OptionalString(e, "user_id")
            ?? Fields.OptionalString(e, "session_id")
            ?? Fields.Timestamp(e, "timestamp", required: true, utc: true)
            ?? Fields.OptionalObject(e, "properties")
            ?? Fields.OptionalObject(e, "context");
    }

    protected override string Describe(JsonElement e) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty("user_id", out _) ? Fields.Identity(e, "user_id") : Fields.Identity(e, "session_id");
}
