using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using Sluice.Collector;

namespace Sluice.Tests.Support;

/// <summary>Valid bodies and authenticated requests for each API of the <see cref="ReferenceCollector"/>.</summary>
public static class CollectorRequests
{
    public const string Timestamp = "2024-10-20T15:51:35.059000Z";

    /// <summary>One shared client: pooled connections to 127.0.0.1, as a transport would use.</summary>
    public static HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>One valid event of <paramref name="api"/>, identified by <paramref name="id"/>, with a property <c>pad</c> of <paramref name="pad"/> characters.</summary>
    public static string Event(CollectorApi api, int id, int pad = 0, string? clientId = null)
    {
        string padding = new('x', pad);
        return api switch
        {
            CollectorApi.ThriveStackTrack => $$$"""{"user_id":"u{{{id}}}","event_name":"signed_up","timestamp":"{{{Timestamp}}}","properties":{"pad":"{{{padding}}}"}}""",
            CollectorApi.ThriveStackPage => $$$"""{"session_id":"s{{{id}}}","timestamp":"{{{Timestamp}}}","properties":{"pad":"{{{padding}}}"}}""",
            CollectorApi.Segment => $$$"""{"type":"track","userId":"u{{{id}}}","event":"signed_up","properties":{"pad":"{{{padding}}}"},"timestamp":"{{{Timestamp}}}","messageId":"m{{{id}}}"}""",
            _ => $$$"""{"eventType":"view","sessionId":"s{{{id}}}","scope":"{{{clientId ?? new CollectorOptions().PrimeDataClientId}}}","timeStamp":"{{{Timestamp}}}","properties":{"pad":"{{{padding}}}"}}""",
        };
    }

    /// <summary>A body of <paramref name="events"/> as <paramref name="api"/> expects it (array or envelope).</summary>
    public static string Body(CollectorApi api, IEnumerable<string> events) => api switch
    {
        CollectorApi.Segment => $$"""{"batch":[{{string.Join(',', events)}}],"sentAt":"{{Timestamp}}"}""",
        CollectorApi.PrimeData => $$"""{"events":[{{string.Join(',', events)}}]}""",
        _ => $"[{string.Join(',', events)}]",
    };

    /// <summary>A body of <paramref name="count"/> small valid events (ids from 0).</summary>
    public static string Body(CollectorApi api, int count) => Body(api, Enumerable.Range(0, count).Select(i => Event(api, i)));

    /// <summary>A valid body of <paramref name="count"/> events and exactly <paramref name="bytes"/> bytes (the first event is padded).</summary>
    public static string BodyOfExactly(CollectorApi api, int count, int bytes)
    {
        int unpadded = Encoding.UTF8.GetByteCount(Body(api, count));
        Assert.True(bytes >= unpadded, "The target size is below the unpadded body.");
        string body = Body(api, Enumerable.Range(0, count).Select(i => Event(api, i, i == 0 ? bytes - unpadded : 0)));
        Assert.Equal(bytes, Encoding.UTF8.GetByteCount(body));
        return body;
    }

    /// <summary>A POST to <paramref name="api"/> carrying the credential the collector accepts now, unless another is given.</summary>
    public static HttpRequestMessage Request(ReferenceCollector collector, CollectorApi api, string body, string? credential = null, bool gzip = false)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        var content = new ByteArrayContent(gzip ? Gzip(bytes) : bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (gzip)
            content.Headers.ContentEncoding.Add("gzip");
        var request = new HttpRequestMessage(HttpMethod.Post, collector.UrlOf(api)) { Content = content };
        credential ??= collector.Credentials.Of(api);
        switch (api)
        {
            case CollectorApi.ThriveStackTrack:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
                break;
            case CollectorApi.ThriveStackPage:
                request.Headers.Add("x-api-key", credential);
                break;
            case CollectorApi.Segment:
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credential + ":")));
                break;
            default:
                request.Headers.Add("X-Client-Id", collector.Credentials.PrimeDataClientId);
                request.Headers.Add("X-Client-Access-Token", credential);
                break;
        }

        return request;
    }

    /// <summary>Sends and returns the status and the body text.</summary>
    public static async Task<(int Status, string Body, HttpResponseMessage Response)> SendAsync(HttpRequestMessage request)
    {
        var response = await Client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    public static Task<(int Status, string Body, HttpResponseMessage Response)> PostAsync(ReferenceCollector collector, CollectorApi api, string body,
        string? credential = null, bool gzip = false) => SendAsync(Request(collector, api, body, credential, gzip));

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var zip = new GZipStream(output, CompressionLevel.Fastest))
            zip.Write(bytes);
        return output.ToArray();
    }
}
