using System.Buffers;
using System.Text;
using Sluice.Batching;
using Sluice.Serialization;

namespace Sluice.Tests.Support;

/// <summary>Sealed batches made by hand, for tests of what consumes them (transports, slicing, settlement).</summary>
public static class TestBatches
{
    /// <summary>A ThriveStack batch of <paramref name="partition"/> holding <paramref name="events"/> (JSON objects) in pooled memory.</summary>
    internal static Batch Seal(SegmentPool pool, string[] events, int partition = ThriveStackFormat.TrackPartition, long sequence = 7)
    {
        var format = ThriveStackFormat.Instance;
        var buffer = new BatchBuffer(pool);
        buffer.Write(format.BatchPrefix(partition));
        int[] ends = ArrayPool<int>.Shared.Rent(events.Length);
        for (int i = 0; i < events.Length; i++)
        {
            if (i > 0)
                buffer.WriteByte((byte)',');
            buffer.Write(Encoding.UTF8.GetBytes(events[i]));
            ends[i] = (int)buffer.Length;
        }

        var suffix = buffer.WriteContiguous(format.BatchSuffix(partition));
        var body = buffer.Detach(out var first);
        return new Batch(sequence, partition, format, events.Length, ends, format.BatchPrefix(partition).Length, body, first, suffix, pool);
    }
}
