using System.IO.Compression;
using System.Net;
using Sluice.Batching;

namespace Sluice.Delivery.Transports.Http;

/// <summary>
/// A request body that streams a batch's pooled segments straight to the connection, gzip-compressed
/// on the way if asked: no copy into a new array, nothing on the LOH. Valid while the batch is (until
/// the send completes); it may be written more than once (a connection retry inside the handler).
/// </summary>
internal sealed class BatchContent : HttpContent
{
    private readonly Batch _batch;
    private readonly bool _gzip;
    private volatile bool _started;

    public BatchContent(Batch batch, bool gzip)
    {
        _batch = batch;
        _gzip = gzip;
        Headers.TryAddWithoutValidation("Content-Type", "application/json");
        if (gzip)
            Headers.TryAddWithoutValidation("Content-Encoding", "gzip");
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    /// <summary>Whether the handler began writing the body: until then the server cannot have the events (a connection
    /// not made, or not in time), whatever ended the request.</summary>
    public bool Started => _started;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _started = true;
        if (!_gzip)
        {
            foreach (var segment in _batch.Body)
                await stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
            return;
        }

        var zip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
        await using (zip.ConfigureAwait(false))
        {
            foreach (var segment in _batch.Body)
                await zip.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Known up front unless compressed (then the body goes chunked).</summary>
    protected override bool TryComputeLength(out long length)
    {
        length = _batch.Length; // not used when compressed
        return !_gzip;
    }
}
