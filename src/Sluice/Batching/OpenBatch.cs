using System.Buffers;

namespace Sluice.Batching;

/// <summary>One partition's batch being filled. Used only by the serializer, except <see cref="MaxBytes"/>.</summary>
internal sealed class OpenBatch(int partition, int maxBytes, SegmentPool pool)
{
    public int Partition { get; } = partition;

    public BatchBuffer Buffer { get; } = new(pool);

    /// <summary>This partition's byte limit; lowered by a sender after a 413, read by the serializer.</summary>
    public int MaxBytes
    {
        get => Volatile.Read(ref _maxBytes);
        set => Volatile.Write(ref _maxBytes, value);
    }

    private int _maxBytes = maxBytes;

    /// <summary>Lowers <see cref="MaxBytes"/> to <paramref name="value"/> unless it is already lower; never raises it. Any thread.</summary>
    /// <returns>The limit now in force.</returns>
    public int LowerMaxBytes(int value)
    {
        int current = Volatile.Read(ref _maxBytes);
        while (value < current)
        {
            int seen = Interlocked.CompareExchange(ref _maxBytes, value, current);
            if (seen == current)
                return value;
            current = seen;
        }

        return current;
    }

    /// <summary>Whether the prefix has been written (the batch exists, possibly with no event yet).</summary>
    public bool IsOpen;

    public int Count;

    /// <summary>Body offset just past each event; handed to the sealed batch.</summary>
    public int[]? Ends;

    /// <summary><see cref="TimeProvider.GetTimestamp"/> when the first event went in: the linger clock.</summary>
    public long FirstEventAt;

    public void Open(ReadOnlySpan<byte> prefix, int maxEvents)
    {
        Buffer.Write(prefix);
        Ends = ArrayPool<int>.Shared.Rent(maxEvents);
        Count = 0;
        IsOpen = true;
    }

    /// <summary>After sealing: the blocks and the ends array now belong to the batch.</summary>
    public void Clear()
    {
        IsOpen = false;
        Count = 0;
        Ends = null;
    }
}
