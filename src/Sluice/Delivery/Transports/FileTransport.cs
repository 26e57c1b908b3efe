using System.Buffers;
using Microsoft.Win32.SafeHandles;
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
    /// <remarks>
    /// The body is written with one gathered write (its pooled blocks as they are) on the calling
    /// thread: a file on Linux has no asynchronous write, and an asynchronous file stream would only
    /// hand the same blocking write to another pool thread, one segment at a time.
    /// </remarks>
    public ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<SendResult>(cancellationToken);
        try
        {
            string path = PathFor(batch);
            string temp = path + ".tmp";
            using (var file = File.OpenHandle(temp, FileMode.Create, FileAccess.Write))
                Write(file, batch.Body);
            File.Move(temp, path, overwrite: true);
            return new ValueTask<SendResult>(SendResult.Delivered);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<SendResult>(ex);
        }
    }

    private static void Write(SafeFileHandle file, ReadOnlySequence<byte> body)
    {
        if (body.IsSingleSegment)
            RandomAccess.Write(file, body.FirstSpan, fileOffset: 0);
        else
            RandomAccess.Write(file, Segments(body), fileOffset: 0);
    }

    private static List<ReadOnlyMemory<byte>> Segments(ReadOnlySequence<byte> body)
    {
        var segments = new List<ReadOnlyMemory<byte>>();
        foreach (var segment in body)
            segments.Add(segment);
        return segments;
    }
}
