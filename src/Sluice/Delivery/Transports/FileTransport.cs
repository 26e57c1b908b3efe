using System.Buffers;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Sluice.Batching;

namespace Sluice.Delivery.Transports;

/// <summary>
/// Writes each batch to its own file, byte for byte the HTTP body the wire format defines, named
/// <c>{number:D8}-{endpoint}.json</c> (for example <c>00000042-api-track.json</c>), the number being the batch's
/// <see cref="Batch.Sequence"/> counted on from the batch files the directory already holds: a later run (whose engine
/// numbers its batches from 0 again) adds its files after an earlier run's instead of overwriting them, and the
/// directory still sorts in sending order. A file appears complete or not at all: it is written under a temporary
/// name and renamed. One transport per directory at a time.
/// </summary>
public sealed class FileTransport : IBatchTransport
{
    private readonly string _directory;

    // The number of the file of the batch of sequence 0: one past the highest batch file in the directory when it was opened.
    private readonly long _firstNumber;

    /// <summary>Writes into <paramref name="directory"/>, creating it if needed; the batch files already there are kept.</summary>
    public FileTransport(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = Directory.CreateDirectory(directory).FullName;
        _firstNumber = NextNumber(_directory);
    }

    /// <summary>The file a batch is written to.</summary>
    public string PathFor(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        string endpoint = batch.EndpointPath.Trim('/').Replace('/', '-');
        return Path.Combine(_directory, $"{_firstNumber + batch.Sequence:D8}-{endpoint}.json");
    }

    /// <summary>One past the highest number of a batch file (<c>{number}-{endpoint}.json</c>) in <paramref name="directory"/>; 0 if it holds none.</summary>
    private static long NextNumber(string directory)
    {
        long next = 0;
        foreach (string path in Directory.EnumerateFiles(directory, "*.json"))
        {
            var name = Path.GetFileName(path.AsSpan());
            int dash = name.IndexOf('-');
            if (dash > 0 && long.TryParse(name[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out long number) && number < long.MaxValue / 2)
                next = Math.Max(next, number + 1);
        }

        return next;
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
        string path = PathFor(batch);
        string temp = path + ".tmp";
        try
        {
            using (var file = File.OpenHandle(temp, FileMode.Create, FileAccess.Write))
                Write(file, batch.Body);
            File.Move(temp, path, overwrite: true);
            return new ValueTask<SendResult>(SendResult.Delivered);
        }
        catch (Exception ex)
        {
            DeleteQuietly(temp); // a write cut short (a full disk) leaves no partial file behind; the retry writes it again
            return ValueTask.FromException<SendResult>(ex);
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The write's own failure is what the engine reports; a leftover temporary file is harmless to the batch files.
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
