namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// Turns an HTTP reply into a <see cref="SendResult"/>, as the failure table in docs/delivery.md says. A pure
/// function of the status, the <c>Retry-After</c> value, the body and the time, so it can be tested and
/// fuzzed on its own; it never throws and always returns one of the documented outcomes:
/// <list type="table">
/// <item><term>2xx</term><description>Delivered, with the status and the reply's <c>warnings</c> and <c>response_id</c>; but a body with
/// <c>"success": false</c> is not a delivery: Retry (the server failed; the retry budget bounds it).</description></item>
/// <item><term>400, 422</term><description>Rejected, with the server's message (the batch is bisected).</description></item>
/// <item><term>401, 403</term><description>Unauthorized (the endpoint is paused).</description></item>
/// <item><term>413</term><description>TooLarge (the batch is split, the partition's limit lowered); but with a valid <c>Retry-After</c>, Retry.</description></item>
/// <item><term>408, 425, 429, 5xx</term><description>Retry, with <c>Retry-After</c> if valid (seconds or HTTP-date; otherwise ignored).</description></item>
/// <item><term>anything else</term><description>Failed: 1xx/3xx (redirects are not followed), other 4xx, statuses outside 100–599.</description></item>
/// </list>
/// </summary>
internal static class ReplyClassifier
{
    /// <param name="status">The HTTP status.</param>
    /// <param name="retryAfter">The <c>Retry-After</c> value, if any.</param>
    /// <param name="body">The reply body, or as much of it as was read.</param>
    /// <param name="now">The time the reply was made, for an HTTP-date in <c>Retry-After</c>.</param>
    /// <param name="cut">Whether <paramref name="body"/> may be only the start of the reply (<see cref="ReplyBody.Parse"/>).</param>
    /// <param name="location">A redirect's target (its <c>Location</c>, made absolute), named in the message: most often the
    /// endpoint's https address, or its path with or without a final slash.</param>
    /// <param name="endpointPath">The path the request went to (<c>/api/track</c>): a redirect to the same path elsewhere names the base address to use.</param>
    public static SendResult Classify(int status, string? retryAfter, ReadOnlySpan<byte> body, DateTimeOffset now, bool cut = false, Uri? location = null,
        string? endpointPath = null)
    {
        if (status is >= 200 and <= 299)
        {
            var reply = ReplyBody.Parse(body, cut);
            if (reply.Success == false)
            {
                return SendResult.Retry($"the server answered {status} with success: false: {reply.Summary}", RetryAfterHeader.Parse(retryAfter, now), status)
                    with { ResponseId = reply.ResponseId };
            }

            // With its status, as every answer: metrics tag each request with the status the server gave.
            return SendResult.Delivered with { StatusCode = status, ResponseId = reply.ResponseId, Warnings = reply.Warnings };
        }

        var failure = ReplyBody.Parse(body, cut);
        string message = string.IsNullOrWhiteSpace(failure.Summary) ? $"HTTP {status}" : failure.Summary; // a blank body says nothing
        var wait = RetryAfterHeader.Parse(retryAfter, now);
        var result = status switch
        {
            400 or 422 => SendResult.Rejected(message, status),
            401 or 403 => SendResult.Unauthorized(message, status),

            // RFC 9110 §15.5.14: a 413 whose condition is temporary carries Retry-After. Split as too large, a lone event would be
            // rejected and the endpoint's limit lowered below it for good: every later event that size never sent.
            413 when wait is not null => SendResult.Retry(message, wait, status),
            413 => SendResult.TooLarge(message, status),

            // 425 Too Early: RFC 8470 §5.2 says the request may be retried.
            408 or 425 or 429 or (>= 500 and <= 599) => SendResult.Retry(message, wait, status),
            >= 300 and <= 399 => SendResult.Failed(Redirect(status, location, endpointPath, message), status),
            _ => SendResult.Failed(message, status),
        };
        return result with { ResponseId = failure.ResponseId };
    }

    /// <summary>
    /// A redirect, not followed. The target is the endpoint's own address at another base (http to https, a new host) when it
    /// ends with the endpoint's path: then the base address to give is that target less the path, not the target itself,
    /// to which the path would be appended again.
    /// </summary>
    private static string Redirect(int status, Uri? location, string? endpointPath, string message)
    {
        if (location is null)
            return $"redirect not followed ({status}): {message}";
        return BaseAddressAt(location, endpointPath) is { } baseAddress
            ? $"redirect to {location} not followed ({status}; if the API is there, its base address is {baseAddress}): {message}"
            : $"redirect to {location} not followed ({status}): {message}";
    }

    /// <summary>The base address whose <paramref name="endpointPath"/> is <paramref name="target"/>, or null when the target does not end with that path.</summary>
    internal static string? BaseAddressAt(Uri target, string? endpointPath)
    {
        string? path = endpointPath is null ? null : endpointPath.StartsWith('/') ? endpointPath : "/" + endpointPath;
        if (path is null || !target.IsAbsoluteUri || target.Query.Length > 0 || !target.AbsolutePath.EndsWith(path, StringComparison.Ordinal))
            return null;
        return target.GetLeftPart(UriPartial.Authority) + target.AbsolutePath[..^path.Length];
    }
}
