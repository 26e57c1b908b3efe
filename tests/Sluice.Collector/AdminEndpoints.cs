using System.Globalization;

namespace Sluice.Collector;

/// <summary>
/// <c>/_collector/...</c>: what was received, and fault injection by hand (curl). Query parameters:
/// <c>api</c> = track | page | segment | primedata (omitted: any API), <c>count</c> (default 1).
/// </summary>
internal static class AdminEndpoints
{
    public const string Help = """
        GET    /_collector/received                       summary per API
        GET    /_collector/received/{api}?skip=0&take=100 accepted events of an API
        DELETE /_collector/received                       forget everything received
        POST   /_collector/faults/fail?status=503&count=1&retryAfter=2&api=segment
        POST   /_collector/faults/delay?ms=2000&count=1&api=track
        POST   /_collector/faults/drop?count=1&api=page
        POST   /_collector/faults/hold?ms=2000&count=1&api=track (handled and kept, then the answer waits)
        POST   /_collector/faults/cut?count=1&api=track    (handled and kept, then half the answer and the connection closed)
        POST   /_collector/faults/warn?message=...&count=1&api=page
        POST   /_collector/faults/reject?marker=POISON    (no marker: stop rejecting)
        POST   /_collector/faults/proxy-limit?bytes=65536 (no bytes: no proxy limit)
        POST   /_collector/faults/credential?api=segment&value=new-key
        DELETE /_collector/faults                         clear every fault
        """;

    public static void Map(WebApplication app, ReferenceCollector collector)
    {
        var faults = collector.Faults;
        app.MapGet("/_collector", () => Results.Text(Help));
        app.MapGet("/_collector/received", () => Results.Json(Enum.GetValues<CollectorApi>().ToDictionary(Name, api =>
        {
            var r = collector.Received(api);
            var requests = r.Requests;
            return new
            {
                path = collector.PathOf(api),
                requests = requests.Count,
                events = r.EventCount,
                duplicates = r.Duplicates,
                maxEventsPerRequest = r.MaxEventsPerRequest,
                maxBytesPerRequest = r.MaxBytesPerRequest,
                statuses = requests.GroupBy(q => q.Status).ToDictionary(g => g.Key.ToString(CultureInfo.InvariantCulture), g => g.Count()),
                last = requests.TakeLast(10),
            };
        })));
        app.MapGet("/_collector/received/{api}", (string api, int? skip, int? take) =>
            Results.Json(collector.Received(Parse(api)).Events.Skip(skip ?? 0).Take(take ?? 100)));
        app.MapDelete("/_collector/received", () =>
        {
            collector.ClearReceived();
            return Results.Ok();
        });
        app.MapPost("/_collector/faults/fail", (int status, int? count, string? retryAfter, string? api, string? message) =>
            Apply(() => faults.FailNext(count ?? 1, status, retryAfter, ParseOptional(api), message)));
        app.MapPost("/_collector/faults/delay", (int ms, int? count, string? api) =>
            Apply(() => faults.DelayNext(count ?? 1, TimeSpan.FromMilliseconds(ms), ParseOptional(api))));
        app.MapPost("/_collector/faults/drop", (int? count, string? api) => Apply(() => faults.DropNext(count ?? 1, ParseOptional(api))));
        app.MapPost("/_collector/faults/hold", (int ms, int? count, string? api) =>
            Apply(() => faults.HoldAnswerNext(count ?? 1, TimeSpan.FromMilliseconds(ms), ParseOptional(api))));
        app.MapPost("/_collector/faults/cut", (int? count, string? api) => Apply(() => faults.CutAnswerNext(count ?? 1, ParseOptional(api))));
        app.MapPost("/_collector/faults/warn", (string message, int? count, string? api) =>
            Apply(() => faults.WarnNext(count ?? 1, message, ParseOptional(api))));
        app.MapPost("/_collector/faults/reject", (string? marker) => Apply(() => faults.RejectEventsContaining(marker)));
        app.MapPost("/_collector/faults/proxy-limit", (int? bytes) => Apply(() => faults.SetProxyBodyLimit(bytes)));
        app.MapPost("/_collector/faults/credential", (string api, string value) => Apply(() => faults.RequireCredential(Parse(api), value)));
        app.MapDelete("/_collector/faults", () => Apply(faults.Reset));
    }

    public static string Name(CollectorApi api) => api switch
    {
        CollectorApi.ThriveStackTrack => "track",
        CollectorApi.ThriveStackPage => "page",
        CollectorApi.Segment => "segment",
        _ => "primedata",
    };

    private static CollectorApi? ParseOptional(string? name) => name is null ? null : Parse(name);

    private static CollectorApi Parse(string name) =>
        Enum.GetValues<CollectorApi>().FirstOrDefault(a => string.Equals(Name(a), name, StringComparison.OrdinalIgnoreCase), (CollectorApi)(-1)) is var api && Enum.IsDefined(api)
            ? api
            : throw new BadHttpRequestException($"Unknown api \"{name}\": track, page, segment or primedata.");

    private static IResult Apply(Action change)
    {
        try
        {
            change();
            return Results.Ok();
        }
        catch (ArgumentException ex)
        {
            return Results.BadRequest(ex.Message);
        }
    }
}
