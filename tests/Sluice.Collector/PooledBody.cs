using System.Buffers;
using System.Globalization;

namespace Sluice.Collector;

/// <summary>
/// A request body read into a rented array, so 2 MB bodies do not land on the large object heap
/// at every request. Owned by one request; returned to the pool on dispose.
/// </summary>
internal sealed class PooledBody : IDisposable
{
    private byte[] _buffer;

    private PooledBody(int capacity) => _buffer = ArrayPool<byte>.Shared.Rent(capacity);

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>A read-only stream over the bytes, valid until dispose.</summary>
    public Stream AsStream() => new MemoryStream(_buffer, 0, Length, writable: false);

    /// <summary>Reads <paramref name="source"/> to its end; throws <see cref="InvalidDataException"/> past <paramref name="limit"/> bytes.</summary>
    public static async Task<PooledBody> ReadAsync(Stream source, long? sizeHint, int limit, CancellationToken cancellationToken)
    {
        var body = new PooledBody((int)Math.Clamp(sizeHint ?? 0, 16 * 1024, 4 * 1024 * 1024));
        try
        {
            int read;
            while ((read = await source.ReadAsync(body._buffer.AsMemory(body.Length), cancellationToken)) > 0)
            {
                body.Length += read;
                if (body.Length > limit)
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"it expands past {limit:N0} bytes"));
                if (body.Length == body._buffer.Length)
                    body.Grow();
            }

            return body;
        }
        catch
        {
            body.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer);
    }

    private void Grow()
    {
        var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(0, Length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
