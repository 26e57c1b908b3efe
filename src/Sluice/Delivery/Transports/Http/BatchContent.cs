using System.Buffers;
using System.IO.Compression;
using System.Net;
using Microsoft.IO;
using Sluice.Batching;

namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// A request body that streams a batch's pooled segments straight to the connection, always with its exact
/// <c>Content-Length</c>: no copy into a new array, nothing on the LOH. Compressed, it is gzipped first into blocks of
/// the engine's pool (a server or proxy that refuses chunked bodies answers 411 to a body of unknown length), and those
/// go back when the content is disposed (with its request). Valid while the batch is (until the send completes); it may
/// be written more than once (a connection retry inside the handler).
/// </summary>
internal sealed class BatchContent : HttpContent
{
    private readonly ReadOnlySequence<byte> _body;

    // The compressed body's blocks, if compressed; returned to the pool on disposal.
    private readonly RecyclableMemoryStream? _compressed;
    private volatile bool _started;

    public BatchContent(Batch batch, bool gzip)
    {
        Headers.TryAddWithoutValidation("Content-Type", "application/json");
        if (!gzip)
        {
            _body = batch.Body;
            return;
        }

        Headers.TryAddWithoutValidation("Content-Encoding", "gzip");
        _compressed = batch.Memory.GetStream();
        using (var zip = new GZipStream(_compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            foreach (var segment in batch.Body)
                zip.Write(segment.Span);
        }

        _body = _compressed.GetReadOnlySequence();
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    /// <summary>Whether the handler began writing the body: until then the server cannot have the events (a connection
    /// not made, or not in time), whatever ended the request.</summary>
    public bool Started => _started;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _started = true;
        foreach (var segment in _body)
            await stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The bytes that go out, compressed or not: never chunked.</summary>
    protected override bool TryComputeLength(out long length)
    {
        length = _body.Length;
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _compressed?.Dispose();
        base.Dispose(disposing);
    }
}
