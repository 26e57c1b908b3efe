using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Sluice.Batching;
using Sluice.Serialization;

namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// Delivers batches by HTTP POST to <c>BaseAddress + endpoint path</c> over one pooled
/// <see cref="SocketsHttpHandler"/> (keep-alive connections reused by all senders), or over the caller's
/// <see cref="HttpClient"/> or <see cref="HttpMessageHandler"/> (a client from <c>IHttpClientFactory</c>,
/// delegating handlers for a proxy, mTLS, logging). The body streams
/// from the batch's pooled memory, optionally gzip-compressed (first, into that pool), always with its length. Replies are classified by
/// <see cref="ReplyClassifier"/>; timeouts and connection errors are transient failures, described by
/// <see cref="ExceptionClassifier"/>. Retries,
/// splitting and pausing are the engine's job, not the transport's. Thread-safe. Dispose it after the
/// engine has shut down.
/// </summary>
public sealed class HttpTransport : IBatchTransport, IDisposable
{
    /// <summary>How much of a reply body is read; replies are small, and a huge one is not worth buffering.</summary>
    private const int MaxReplyBytes = 16 * 1024;

    /// <summary>Sluice's own product token, <c>Sluice/0.1.0</c>.</summary>
    private static readonly string SluiceProduct = $"Sluice/{typeof(HttpTransport).Assembly.GetName().Version!.ToString(3)}";

    private readonly HttpTransportOptions _options;
    private readonly HttpClient _client;
    private readonly bool _ownsClient;
    private readonly string _userAgent;
    private readonly ConcurrentDictionary<string, Uri> _endpoints = new(StringComparer.Ordinal);
    private readonly string _base;

    // Written by whoever rotates credentials, read by every send.
    private volatile HttpAuthentication _authentication;

    /// <summary>Creates the transport and its connection pool.</summary>
    /// <param name="options">Settings; validated now (<see cref="ArgumentException"/> naming every problem).</param>
    public HttpTransport(HttpTransportOptions options)
        : this(options, client: null, handler: null)
    {
    }

    /// <summary>
    /// Creates the transport over the caller's client (from <c>IHttpClientFactory</c>, say), which stays the caller's:
    /// <see cref="Dispose"/> leaves it open. Its <see cref="HttpClient.Timeout"/> applies as well as
    /// <see cref="HttpTransportOptions.RequestTimeout"/>: the shorter one ends an attempt. Requests use absolute
    /// addresses (its <see cref="HttpClient.BaseAddress"/> is not used) and carry the options' headers, not its default ones
    /// (which it adds too).
    /// </summary>
    /// <param name="options">Settings; validated now (<see cref="ArgumentException"/> naming every problem).</param>
    /// <param name="client">The client every request is sent with.</param>
    public HttpTransport(HttpTransportOptions options, HttpClient client)
        : this(options, client ?? throw new ArgumentNullException(nameof(client)), handler: null)
    {
    }

    /// <summary>
    /// Creates the transport over the caller's handler (a <see cref="DelegatingHandler"/> chain ending in a
    /// <see cref="SocketsHttpHandler"/>, say), which stays the caller's: <see cref="Dispose"/> leaves it open.
    /// </summary>
    /// <param name="options">Settings; validated now (<see cref="ArgumentException"/> naming every problem).</param>
    /// <param name="handler">The handler every request goes through.</param>
    public HttpTransport(HttpTransportOptions options, HttpMessageHandler handler)
        : this(options, client: null, handler ?? throw new ArgumentNullException(nameof(handler)))
    {
    }

    /// <param name="options">Settings.</param>
    /// <param name="client">The caller's client, or null.</param>
    /// <param name="handler">The caller's handler, or null for one of the transport's own (disposed with it).</param>
    private HttpTransport(HttpTransportOptions options, HttpClient? client, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validated();
        _authentication = _options.Authentication;
        _base = _options.BaseAddress!.AbsoluteUri.TrimEnd('/');
        _userAgent = _options.UserAgent is { } wrapper ? wrapper.Trim() + " " + SluiceProduct : SluiceProduct;
        _ownsClient = client is null;
        _client = client ?? new HttpClient(handler ?? CreateHandler(_options.RequestTimeout), disposeHandler: handler is null) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// The handler the transport makes for itself: pooled keep-alive connections, recycled now and then so DNS
    /// changes are picked up; no redirects, cookies or decompression (a compressed reply that comes anyway is decoded as it is
    /// read: <see cref="ReplyEncoding"/>). Also the primary handler of the hosting package's named client.
    /// </summary>
    internal static SocketsHttpHandler CreateHandler(TimeSpan connectTimeout) => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        ConnectTimeout = connectTimeout > TimeSpan.Zero ? connectTimeout : TimeSpan.FromSeconds(30),
        AllowAutoRedirect = false, // a redirected analytics POST is a misconfiguration: reported, not followed
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        UseProxy = true,
    };

    /// <summary>The credentials in use. May be replaced at any time (a rotated token): the next request uses the new ones,
    /// and a paused endpoint resumes at its next probe.</summary>
    public HttpAuthentication Authentication
    {
        get => _authentication;
        set => _authentication = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The full address a batch of <paramref name="endpointPath"/> is posted to.</summary>
    public Uri EndpointFor(string endpointPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpointPath);
        return _endpoints.GetOrAdd(endpointPath, static (path, b) => new Uri(b + (path.StartsWith('/') ? path : "/" + path)), _base);
    }

    /// <inheritdoc/>
    public async ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var content = new BatchContent(batch, _options.Gzip);
        var endpoint = EndpointFor(batch.EndpointPath);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Version = HttpVersion.Version11,
            Content = content,
        };
        request.Headers.TryAddWithoutValidation("User-Agent", _userAgent);
        foreach (var (name, value) in _options.FixedHeaders)
            request.Headers.TryAddWithoutValidation(name, value);
        int headers = request.Headers.NonValidated.Count;
        _authentication.Apply(request.Headers, batch.Partition);
        bool credentialed = request.Headers.NonValidated.Count > headers;

        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            var answered = response.RequestMessage ?? request;
            if (answered.Method != HttpMethod.Post || answered.Content is null)
                return BodyLeftBehind(answered, response, batch.EndpointPath);
            var result = await ClassifyAsync(response, batch.EndpointPath, linked.Token).ConfigureAwait(false);
            if (result.Outcome != SendOutcome.Delivered && EndpointInBaseAddress(batch.Format) is { } hint)
                result = result with { Message = $"{result.Message} ({hint})" };
            if (result.Outcome != SendOutcome.Delivered && answered.RequestUri is { } target && target != endpoint)
                result = result with { Message = $"{result.Message} (answered by {target}, to which the HTTP handler followed a redirect)" };

            // ThriveStack's two endpoints take two credentials, and either alone is a valid setting: a page sent with only the
            // track token goes without one. Say so, or the refusal reads like a wrong credential.
            return result.Outcome == SendOutcome.Unauthorized && !credentialed
                ? result with { Message = $"{result.Message} (no credentials were sent to {batch.EndpointPath}: the transport's Authentication has none for it)" }
                : result;
        }
        catch (Exception ex) when (!content.Started && ex is OperationCanceledException or HttpRequestException or IOException)
        {
            // No byte of the body went out (no connection, or none in time; the deadline included): the server cannot have
            // the events, so a deadline coming before a later attempt leaves them lost, not of unknown outcome.
            var result = ex is OperationCanceledException
                ? ExceptionClassifier.NotConnected(request.RequestUri!, cancellationToken.IsCancellationRequested ? null : AttemptTimeout)
                : ExceptionClassifier.Classify(ex, request.RequestUri!);
            return result.MayHaveArrived ? result with { Failure = SendFailure.ConnectionFailed } : result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The request timeout, the handler's connect timeout (the same length) or a caller's client's timeout: not the engine's deadline.
            return ExceptionClassifier.TimedOut(request.RequestUri!, AttemptTimeout);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return ExceptionClassifier.Classify(ex, request.RequestUri!);
        }
    }

    /// <summary>Closes the pooled connections of the client the transport made; a caller's client or handler stays open.</summary>
    public void Dispose()
    {
        if (_ownsClient)
            _client.Dispose();
    }

    /// <summary>
    /// The APIs give each endpoint as a whole address (<c>https://api.app.thrivestack.ai/api/track</c>): copied as the base
    /// address, every request goes to the endpoint's path appended once more, where the API does not answer. Said with the
    /// base address to give, or null when the base address does not end with a path of <paramref name="format"/>.
    /// </summary>
    private string? EndpointInBaseAddress(WireFormat format)
    {
        string basePath = _options.BaseAddress!.AbsolutePath.TrimEnd('/');
        for (int partition = 0; partition < format.PartitionCount; partition++)
        {
            string path = "/" + format.EndpointPath(partition).Trim('/');
            if (path.Length > 1 && basePath.EndsWith(path, StringComparison.Ordinal))
                return $"the base address ends with the endpoint path {path}, which is appended to it: give {_base[..^path.Length]} instead";
        }

        return null;
    }

    /// <summary>
    /// A caller's handler that follows redirects (<see cref="HttpClientHandler"/>'s default) turns the POST into a GET without
    /// the body on a 301, 302 or 303: whatever answers that GET (a 200 from a landing page), the events were not sent there.
    /// Failed, as a redirect not followed is. (A 307 or 308 keeps the body, and the answer to it counts.)
    /// </summary>
    private static SendResult BodyLeftBehind(HttpRequestMessage answered, HttpResponseMessage response, string endpointPath)
    {
        var target = answered.RequestUri!;
        string baseAddress = ReplyClassifier.BaseAddressAt(target, endpointPath) is { } at ? $"; if the API is there, its base address is {at}" : "";
        return SendResult.Failed($"redirect to {target} followed by the HTTP handler as a {answered.Method} without the body (answered {(int)response.StatusCode}{baseAddress}): " +
            "the events were not sent there; redirects are not to be followed (AllowAutoRedirect = false on the handler)");
    }

    /// <summary>What ends an attempt: the request timeout, or a caller's client's own timeout if that is shorter.</summary>
    private TimeSpan AttemptTimeout => _client.Timeout == Timeout.InfiniteTimeSpan
        ? _options.RequestTimeout
        : TimeSpan.FromTicks(Math.Min(_options.RequestTimeout.Ticks, _client.Timeout.Ticks));

    private async ValueTask<SendResult> ClassifyAsync(HttpResponseMessage response, string endpointPath, CancellationToken cancellationToken)
    {
        string? retryAfter = null;
        if (response.Headers.NonValidated.TryGetValues("Retry-After", out var values))
        {
            foreach (string value in values)
            {
                retryAfter = value;
                break;
            }
        }

        var now = response.Headers.Date ?? _options.TimeProvider.GetUtcNow();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxReplyBytes);
        try
        {
            int length = 0;
            string? unread = null;
            try
            {
                var raw = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                var stream = ReplyEncoding.Decoded(raw, response.Content.Headers);
                await using ((stream ?? raw).ConfigureAwait(false))
                {
                    int read;
                    while (stream is not null && length < MaxReplyBytes && (read = await stream.ReadAsync(buffer.AsMemory(length, MaxReplyBytes - length), cancellationToken).ConfigureAwait(false)) > 0)
                        length += read;
                }

                if (stream is null)
                    unread = $"its Content-Encoding, {ReplyEncoding.Named(response.Content.Headers)}, is none the transport decodes";
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException or InvalidDataException)
            {
                // The status is the server's decision, made before its body broke off (the connection closed, or the rest
                // never came within the timeout or the deadline) or turned out not to be what its Content-Encoding says: it
                // stands. A 2xx sent again would arrive twice.
                unread = ex switch
                {
                    OperationCanceledException => "the rest did not come in time",
                    InvalidDataException => $"it is not valid {ReplyEncoding.Named(response.Content.Headers)} (its Content-Encoding)",
                    _ => ExceptionClassifier.Detail(ex),
                };
            }

            // A full buffer may be the start of a longer reply: what was read before the cut still counts.
            var location = response.Headers.Location is { } target && response.RequestMessage?.RequestUri is { } from ? new Uri(from, target) : response.Headers.Location;
            int status = (int)response.StatusCode;
            var result = ReplyClassifier.Classify(status, retryAfter, buffer.AsSpan(0, length), now, cut: unread is not null || length == MaxReplyBytes, location, endpointPath);
            if (unread is null || result.Outcome != SendOutcome.Delivered)
                return result;
            string note = $"the reply's body could not be read to its end: {unread}; its status {status} stands, so the events count as delivered";
            return result with { Warnings = [.. result.Warnings ?? [], note] };
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
