using System.Buffers;
using Sluice.Serialization;
using Sluice.Producing;

namespace Sluice.Batching;

/// <summary>
/// One partition's batch being filled, with its own <see cref="JsonEventWriter"/> that stays attached
/// to the body across events: its position gives each event's exact end, so nothing is flushed per
/// event. Used only by the serializer, except <see cref="MaxBytes"/>.
/// </summary>
internal sealed class OpenBatch
{
    private int _maxBytes;

    public OpenBatch(int partition, int maxBytes, int prefixLength, int suffixLength, SegmentPool pool)
    {
        Partition = partition;
        _maxBytes = maxBytes;
        SuffixLength = suffixLength;
        EnvelopeLength = prefixLength + suffixLength;
        Buffer = new BatchBuffer(pool);
        Writer = new JsonEventWriter(Buffer);
        Names = new PropertyNameCache(BatchAssembler.WriterOptions.Encoder!);
    }

    public int Partition { get; }

    public BatchBuffer Buffer { get; }

    /// <summary>Writes events into <see cref="Buffer"/>; may hold bytes not yet committed to it (see <see cref="Position"/>).</summary>
    public JsonEventWriter Writer { get; }

    /// <summary>This partition's pre-encoded property names.</summary>
    public PropertyNameCache Names { get; }

    /// <summary>The wire format's suffix length (fixed by contract) and prefix + suffix.</summary>
    public int SuffixLength { get; }

    public int EnvelopeLength { get; }

    /// <summary>This partition's byte limit; lowered by a sender after a 413, read by the serializer.</summary>
    public int MaxBytes
    {
        get => Volatile.Read(ref _maxBytes);
        set => Volatile.Write(ref _maxBytes, value);
    }

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

    /// <summary>The body's length including what the writer has not committed yet: an event's exact end after writing it.</summary>
    public long Position => Writer.Position;

    public void Open(ReadOnlySpan<byte> prefix, int maxEvents)
    {
        Writer.Release();
        Buffer.Write(prefix);
        Ends = ArrayPool<int>.Shared.Rent(maxEvents);
        Count = 0;
        IsOpen = true;
    }

    /// <summary>Before an event: its separator from the previous one.</summary>
    public void BeginEvent() => Writer.BeginEvent(afterAnother: Count > 0);

    /// <summary>Cuts the body back to <paramref name="position"/> (an event boundary).</summary>
    public void Rollback(long position)
    {
        Writer.Release(); // commit everything, so the cut below is exact
        Buffer.Truncate(position);
    }

    /// <summary>Commits what the writer holds, before the suffix is appended and the body handed over.</summary>
    public void Flush() => Writer.Release();

    /// <summary>After sealing: the blocks and the ends array now belong to the batch.</summary>
    public void Clear()
    {
        IsOpen = false;
        Count = 0;
        Ends = null;
    }

    /// <summary>At a forced shutdown: drops the body without sending it.</summary>
    public void Abandon()
    {
        Writer.Discard();
        if (Ends is not null)
            ArrayPool<int>.Shared.Return(Ends);
        Buffer.Reset();
        Clear();
    }
}
