namespace Sluice.Cli;

/// <summary>
/// A read-only view of a stream that counts the bytes read through it (for the progress line's ETA), and remembers whether
/// the last of them is a newline (a last line without one may be cut short).
/// </summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    // Written by the reading flow, read by the progress sampler.
    private long _bytesRead;

    // Reading flow only.
    private bool _endsWithNewline = true;

    public long BytesRead => Volatile.Read(ref _bytesRead);

    /// <summary>Whether the last byte read is a newline (true before any). Read by the reading flow once it has returned.</summary>
    public bool EndsWithNewline => _endsWithNewline;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => Counted(buffer, inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Counted(buffer.Span, read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Counted(ReadOnlySpan<byte> buffer, int read)
    {
        if (read > 0)
            _endsWithNewline = buffer[read - 1] == (byte)'\n';
        Volatile.Write(ref _bytesRead, _bytesRead + read);
        return read;
    }
}
