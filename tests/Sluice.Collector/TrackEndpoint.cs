using System.Text.Json;

namespace Sluice.Collector;

/// <summary>
/// ThriveStack Track (spec 001): <c>POST /api/track</c> with <c>Authorization: Bearer &lt;token&gt;</c>;
/// each event has <c>user_id</c>, <c>event_name</c>, <c>timestamp</c> (UTC ISO 8601), and optional
/// <c>properties</c> and <c>context</c> objects. Nothing else is accepted.
/// </summary>
internal sealed class TrackEndpoint(ApiRecord record, CollectorOptions options, CollectorFaults faults, CollectorCredentials credentials)
    : ThriveStackEndpoint(CollectorApi.ThriveStackTrack, "/api/track", record, options, faults, credentials)
{
    private static readonly KnownFields Known = new("user_id", "event_name", "timestamp", "properties", "context");

    protected override string UnauthorizedMessage => "Access token missing or invalid";

    protected override string SuccessMessage => "Event tracked successfully";

    protected override bool IsAuthorized(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        const string Scheme = "Bearer ";
        return header is not null && header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
            && string.Equals(header[Scheme.Length..], Credentials.TrackToken, StringComparison.Ordinal);
    }

    protected override string? Validate(JsonElement e) =>
        Known.Check(e)
        ?? Fields.RequiredString(e, "user_id")
        ?? Fields.RequiredString(e, "event_name")
        ?? Fields.Timestamp(e, "timestamp", required: true, utc: true)
        ?? Fields.OptionalObject(e, "properties")
        ?? Fields.OptionalObject(e, "context");

    protected override string Describe(JsonElement e) => Fields.Identity(e, "user_id");
}
