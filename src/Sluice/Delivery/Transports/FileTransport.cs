using Sluice.Batching;

namespace Sluice.Delivery.Transports;

/// <summary>
/// Writes each batch to its own file, byte for byte the HTTP body the wire format defines, named
/// <c>{sequence:D8}-{endpoint}.json</c> (for example <c>00000042-api-track.json</c>). A file appears
/// complete or not at all: it is written under a temporary name and renamed.
/// </summary>
public sealed class FileTransport : IBatchTransport
{
    private readonly string _directory;

    /// <summary>Writes into <paramref name="directory"/>, creating it if needed.</summary>
    public FileTransport(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = Directory.CreateDirectory(directory).FullName;
    }

    /// <summary>The file a batch is written to.</summary>
    public string PathFor(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        string endpoint = batch.EndpointPath.Trim('/').Replace('/', '-');
        return Path.Combine(_directory, $"{batch.Sequence:D8}-{endpoint}.json");
    }

    /// <inheritdoc/>
    public async ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        string path = PathFor(batch);
        string temp = path + ".tmp";
        // Stryker disable once Boolean : synchronous writes give the same file; only a thread would wait on the disk
        var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            foreach (var segment in batch.Body)
                await stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
        }

        File.Move(temp, path, overwrite: true);
        return SendResult.Delivered;
    }
}
