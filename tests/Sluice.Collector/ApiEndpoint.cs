using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections.Features;

namespace Sluice.Collector;

/// <summary>
/// One API's request handling, in the order a real deployment applies it: injected faults (delay,
/// drop, fail; a held or cut answer comes after the request is handled and recorded), the proxy's body limit (413), credentials (401), then the API itself (400 for a
/// body over 2,097,152 bytes decompressed, invalid JSON or JSON text a strict reader refuses (<see cref="StrictText"/>), more than 1,000 events, an invalid field or
/// a poisoned event; 200 otherwise). Every request is recorded (and, if a log is set, printed)
/// before its answer leaves, so a client that has its answer finds the request recorded.
/// </summary>
internal abstract class ApiEndpoint
{
    // A bound on what a gzip body may expand to, far above any limit, so a bad client cannot exhaust memory.
    private const int MaxDecompressedBytes = 64 * 1024 * 1024;

    private readonly CollectorOptions _options;

    protected ApiEndpoint(CollectorApi api, string path, ApiRecord record, CollectorOptions options, CollectorFaults faults, CollectorCredentials credentials)
    {
        Api = api;
        Path = path;
        Record = record;
        _options = options;
        Faults = faults;
        Credentials = credentials;
    }

    public CollectorApi Api { get; }

    public string Path { get; }

    public ApiRecord Record { get; }

    protected CollectorFaults Faults { get; }

    protected CollectorCredentials Credentials { get; }

    /// <summary>Whether <see cref="JsonReply.WriteMessageAsync"/> includes <c>"success":false</c>.</summary>
    protected virtual bool SpeaksOfSuccess => true;

    /// <summary>The 401 message.</summary>
    protected abstract string UnauthorizedMessage { get; }

    public async Task HandleAsync(HttpContext context)
    {
        long started = Stopwatch.GetTimestamp();
        var request = context.Request;
        bool gzip = string.Equals(request.Headers.ContentEncoding, "gzip", StringComparison.OrdinalIgnoreCase);
        var state = new RequestState(gzip);
        List<JsonElement>? accepted = null;
        try
        {
            accepted = await ProcessAsync(context, state);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            state.Answer(0, "The client went away before the answer.");
        }
        catch (Exception ex)
        {
            // A bug in the collector: answered as the specs' generic 500, and recorded, so a test sees it.
            accepted = null;
            Refuse(state, 500, "Internal Server Error: " + ex.Message);
        }

        // Recorded before the answer leaves, so a client that has its answer finds the request recorded.
        var record = new RequestRecord(state.Status, state.WireBytes, state.Bytes, state.Events, gzip, state.SentAt, state.Message);
        Record.Add(record, accepted);
        if (_options.Log is { } log)
        {
            double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            log(string.Create(CultureInfo.InvariantCulture, $"{request.Method} {Path} -> {state.Status} | {Size(state)} | {ms:F1} ms | {state.Message}"));
        }

        if (state.Reply is { } reply)
        {
            if (Faults.AnswerHolds.TryTake(Api, out var hold) && !await HoldAsync(hold, context.RequestAborted))
                return;
            if (Faults.AnswerCuts.TryTake(Api, out _))
                await CutAsync(context, reply);
            else
                await reply(context.Response);
        }
    }

    /// <summary>
    /// Sends the answer's status line, headers (with its full Content-Length) and half its body straight to the socket,
    /// then closes the sending side: the client reads the start of the answer, then the end of the stream (not a reset,
    /// which could overtake the bytes before it). The connection is dropped once the client has closed it.
    /// </summary>
    private static async Task CutAsync(HttpContext context, Func<HttpResponse, Task> reply)
    {
        var response = context.Response;
        var wire = response.Body;
        using var whole = new MemoryStream();
        response.Body = whole; // the reply sets the status and headers, and writes its body here
        await reply(response);
        response.Body = wire;

        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket
            ?? throw new InvalidOperationException("Cutting an answer needs Kestrel's socket transport.");
        var head = new StringBuilder().Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.StatusCode} Cut\r\n");
        foreach (var (name, values) in response.Headers)
        {
            if (!string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
                head.Append(CultureInfo.InvariantCulture, $"{name}: {values}\r\n");
        }

        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {whole.Length}\r\n\r\n");
        socket.Send(Encoding.ASCII.GetBytes(head.ToString()));
        socket.Send(whole.GetBuffer().AsSpan(0, (int)whole.Length / 2));
        socket.Shutdown(SocketShutdown.Send);
        await HoldAsync(TimeSpan.FromSeconds(10), context.RequestAborted);
        context.Abort();
    }

    /// <summary>Waits before answering; false if the client went away meanwhile.</summary>
    private static async Task<bool> HoldAsync(TimeSpan hold, CancellationToken aborted)
    {
        try
        {
            await Task.Delay(hold, aborted);
            return true;
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return false;
        }
    }

    private static string Size(RequestState s) => s.Bytes < 0
        ? "body not read"
        : string.Create(CultureInfo.InvariantCulture, $"{(s.Events < 0 ? "?" : s.Events.ToString(CultureInfo.InvariantCulture))} events, {s.Bytes:N0} bytes{(s.Gzip ? $" ({s.WireBytes:N0} gzip)" : "")}");

    /// <summary>Checks the credentials headers.</summary>
    protected abstract bool IsAuthorized(HttpRequest request);

    /// <summary>Finds the events array in the body; sets the error otherwise.</summary>
    protected abstract bool TryReadEnvelope(JsonElement root, out JsonElement events, out string? sentAt, out string? error);

    /// <summary>Checks one event; returns what is wrong with it, or null.</summary>
    protected abstract string? Validate(JsonElement e);

    /// <summary>Names an event in a rejection message (its user, session or message id).</summary>
    protected abstract string Describe(JsonElement e);

    /// <summary>Writes the 200 answer.</summary>
    protected abstract Task WriteAcceptedAsync(HttpResponse response, IReadOnlyList<JsonElement> events, string? warning);

    /// <summary>Writes an error answer in the API's shape.</summary>
    protected virtual Task WriteErrorAsync(HttpResponse response, int status, string message) =>
        JsonReply.WriteMessageAsync(response, status, message, SpeaksOfSuccess);

    /// <summary>Decides the answer (in <paramref name="state"/>) without sending it; returns the accepted events.</summary>
    private async Task<List<JsonElement>?> ProcessAsync(HttpContext context, RequestState state)
    {
        var request = context.Request;
        var response = context.Response;
        if (Faults.Delays.TryTake(Api, out var delay))
            await Task.Delay(delay, context.RequestAborted);

        if (Faults.Drops.TryTake(Api, out _))
        {
            state.Answer(0, "Injected: connection dropped.");
            state.Reply = static r =>
            {
                r.HttpContext.Abort();
                return Task.CompletedTask;
            };
            return null;
        }

        if (Faults.Failures.TryTake(Api, out var fail))
        {
            if (fail.RetryAfter is not null)
                response.Headers.RetryAfter = fail.RetryAfter;
            return Refuse(state, fail.Status, fail.Message);
        }

        using var wire = await PooledBody.ReadAsync(request.Body, request.ContentLength, int.MaxValue, context.RequestAborted);
        state.WireBytes = wire.Length;
        if (Faults.ProxyBodyLimit is { } proxyLimit && wire.Length > proxyLimit)
        {
            state.Answer(413, string.Create(CultureInfo.InvariantCulture, $"Proxy: body of {wire.Length:N0} bytes over its limit of {proxyLimit:N0}."));
            state.Reply = static r =>
            {
                // What nginx answers over client_max_body_size: an HTML page, not the API's JSON.
                r.StatusCode = 413;
                r.ContentType = "text/html";
                return r.WriteAsync("<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center></body></html>\n");
            };
            return null;
        }

        if (!IsAuthorized(request))
            return Refuse(state, 401, UnauthorizedMessage);

        if (!IsJson(request.ContentType))
            return Refuse(state, 400, $"Content-Type must be application/json (was \"{request.ContentType}\").");

        if (!state.Gzip && request.Headers.ContentEncoding.Count > 0 && !string.Equals(request.Headers.ContentEncoding, "identity", StringComparison.OrdinalIgnoreCase))
            return Refuse(state, 400, $"Unsupported Content-Encoding \"{request.Headers.ContentEncoding}\" (gzip or none).");

        using var unzipped = state.Gzip ? await TryGunzipAsync(wire, context.RequestAborted) : null;
        if (state.Gzip && unzipped is null)
            return Refuse(state, 400, "The body is not valid gzip.");

        var body = unzipped ?? wire;
        state.Bytes = body.Length;
        if (body.Length > _options.MaxBodyBytes)
        {
            return Refuse(state, 400, string.Create(CultureInfo.InvariantCulture,
                $"The body has {body.Length:N0} bytes; at most {_options.MaxBodyBytes:N0} bytes (2 MB) are accepted in a single request."));
        }

        JsonDocument document;
        try
        {
            // The document reads the pooled bytes in place: whatever is kept is cloned before they return to the pool.
            document = JsonDocument.Parse(body.Memory);
        }
        catch (JsonException ex)
        {
            return Refuse(state, 400, "The body is not valid JSON: " + ex.Message);
        }

        using (document)
        {
            if (StrictText.Problem(body.Memory.Span) is { } textProblem)
                return Refuse(state, 400, textProblem);

            if (!TryReadEnvelope(document.RootElement, out var events, out state.SentAt, out string? envelopeError))
                return Refuse(state, 400, envelopeError!);

            state.Events = events.GetArrayLength();
            if (state.Events > _options.MaxEvents)
            {
                return Refuse(state, 400, string.Create(CultureInfo.InvariantCulture,
                    $"The body holds {state.Events:N0} events; at most {_options.MaxEvents:N0} are accepted in a single request."));
            }

            if (state.Events == 0)
                return Refuse(state, 400, "The body holds no events.");

            int index = 0;
            foreach (var e in events.EnumerateArray())
            {
                string? error = e.ValueKind == JsonValueKind.Object ? Validate(e) : "must be a JSON object";
                if (error is not null)
                    return Refuse(state, 400, $"Event {index} ({Describe(e)}): {error}.");
                index++;
            }

            if (Faults.PoisonMarker is { } marker)
            {
                index = 0;
                foreach (var e in events.EnumerateArray())
                {
                    if (e.GetRawText().Contains(marker, StringComparison.Ordinal))
                        return Refuse(state, 400, $"Event {index} ({Describe(e)}) is rejected: it contains \"{marker}\".");
                    index++;
                }
            }

            Faults.Warnings.TryTake(Api, out string? warning);
            List<JsonElement> kept = [.. events.EnumerateArray().Select(e => e.Clone())];
            state.Answer(200, warning is null ? "Accepted." : "Accepted with warning: " + warning);
            state.Reply = r => WriteAcceptedAsync(r, kept, warning);
            return kept;
        }
    }

    /// <summary>The specs' <c>Content-Type: application/json</c>: that media type exactly, with no charset but UTF-8 (RFC 8259 8.1).</summary>
    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type)
        && string.Equals(type.MediaType, "application/json", StringComparison.OrdinalIgnoreCase)
        && (type.CharSet is null || string.Equals(type.CharSet.Trim('"'), "utf-8", StringComparison.OrdinalIgnoreCase));

    private List<JsonElement>? Refuse(RequestState state, int status, string message)
    {
        state.Answer(status, message);
        state.Reply = r => WriteErrorAsync(r, status, message);
        return null;
    }

    /// <summary>The decompressed body, or null if it is not valid gzip (or expands past any sane size).</summary>
    private static async Task<PooledBody?> TryGunzipAsync(PooledBody wire, CancellationToken cancellationToken)
    {
        try
        {
            using var unzip = new GZipStream(wire.AsStream(), CompressionMode.Decompress);
            return await PooledBody.ReadAsync(unzip, wire.Length * 4L, MaxDecompressedBytes, cancellationToken);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    /// <summary>What is known of one request so far; becomes its <see cref="RequestRecord"/>.</summary>
    private sealed class RequestState(bool gzip)
    {
        public bool Gzip { get; } = gzip;

        public int Status;
        public long WireBytes = -1;
        public long Bytes = -1;
        public int Events = -1;
        public string? SentAt;
        public string Message = "";

        /// <summary>Sends the answer (or drops the connection); null when the client left.</summary>
        public Func<HttpResponse, Task>? Reply;

        public void Answer(int status, string message)
        {
            Status = status;
            Message = message;
        }
    }
}
