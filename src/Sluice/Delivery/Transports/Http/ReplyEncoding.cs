using System.IO.Compression;
using System.Net.Http.Headers;

namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// A reply body as the server wrote it before compressing it. The transport asks for no compression, but a server or proxy
/// may compress an error reply all the same (nginx with <c>gzip</c> on, a CDN), and the excerpt quoted in diagnostics would be
/// compressed bytes. gzip, deflate and br are decoded as the body is read, so only what the transport reads is inflated: a
/// small compressed body cannot make it inflate more. A handler that decompresses replies itself
/// (<see cref="SocketsHttpHandler.AutomaticDecompression"/>) removes the header, and the body is read as it comes.
/// </summary>
internal static class ReplyEncoding
{
    /// <summary>
    /// <paramref name="body"/> decoded by the <c>Content-Encoding</c> of <paramref name="headers"/> (its codings, in the order they
    /// were applied), or null when one of them is none the transport knows: the body is then not read, it would be unreadable.
    /// </summary>
    public static Stream? Decoded(Stream body, HttpContentHeaders headers)
    {
        // Most replies have none: the typed header is not parsed for them.
        if (!headers.NonValidated.Contains("Content-Encoding"))
            return body;
        string[] applied = [.. headers.ContentEncoding];
        if (!Array.TrueForAll(applied, static c => Decoder(c) is not null))
            return null;
        for (int i = applied.Length - 1; i >= 0; i--)
            body = Decoder(applied[i])!(body); // undone from the last applied; each disposes the one it reads
        return body;
    }

    /// <summary>How a reply's <c>Content-Encoding</c> is named in messages.</summary>
    public static string Named(HttpContentHeaders headers) => string.Join(", ", headers.ContentEncoding);

    private static Func<Stream, Stream>? Decoder(string coding) => coding.Trim().ToLowerInvariant() switch
    {
        "identity" => static s => s,
        "gzip" or "x-gzip" => static s => new GZipStream(s, CompressionMode.Decompress),
        "deflate" => static s => new ZLibStream(s, CompressionMode.Decompress), // RFC 9110 §8.4.1.2: the zlib format
        "br" => static s => new BrotliStream(s, CompressionMode.Decompress),
        _ => null,
    };
}
