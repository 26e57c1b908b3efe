using System.Text.Json;

namespace Sluice.Collector;

/// <summary>
/// What the ThriveStack Track and Page APIs share (specs 001 and 000): the body is a JSON array of
/// events, and every answer is <c>{"success":...,"response_id":"&lt;guid&gt;","message":"..."}</c>.
/// </summary>
internal abstract class ThriveStackEndpoint(CollectorApi api, string path, ApiRecord record, CollectorOptions options, CollectorFaults faults, CollectorCredentials credentials)
    : ApiEndpoint(api, path, record, options, faults, credentials)
{
    /// <summary>The success message of the spec's example reply.</summary>
    protected abstract string SuccessMessage { get; }

    /// <summary>The <c>documentation</c> link of a successful reply, if the API sends one.</summary>
    protected virtual string? Documentation => null;

    protected override bool TryReadEnvelope(JsonElement root, out JsonElement events, out string? sentAt, out string? error)
    {
        events = root;
        sentAt = null;
        error = root.ValueKind == JsonValueKind.Array ? null : "The body must be a JSON array of events.";
        return error is null;
    }

    protected override Task WriteAcceptedAsync(HttpResponse response, IReadOnlyList<JsonElement> events, string? warning) =>
        JsonReply.WriteAsync(response, 200, (this, warning), static (w, s) =>
        {
            w.WriteBoolean("success", true);
            w.WriteString("response_id", Guid.NewGuid().ToString());
            w.WriteString("message", s.Item1.SuccessMessage);
            if (s.warning is not null)
            {
                w.WriteStartArray("warnings");
                w.WriteStringValue(s.warning);
                w.WriteEndArray();
            }

            if (s.Item1.Documentation is { } documentation)
                w.WriteString("documentation", documentation);
        });

    /// <summary>A 2xx status here is the "200 but <c>success:false</c>" answer.</summary>
    protected override Task WriteErrorAsync(HttpResponse response, int status, string message) =>
        JsonReply.WriteAsync(response, status, message, static (w, m) =>
        {
            w.WriteBoolean("success", false);
            w.WriteString("response_id", Guid.NewGuid().ToString());
            w.WriteString("message", m);
        });
}
