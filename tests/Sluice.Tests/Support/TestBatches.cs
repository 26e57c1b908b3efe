using System.Buffers;
using System.Text;
using Microsoft.IO;
using Sluice.Batching;
using Sluice.Serialization;

namespace Sluice.Tests.Support;

/// <summary>Sealed batches made by hand, for tests of what consumes them (transports, slicing, settlement).</summary>
public static class TestBatches
{
    /// <summary>Pooled memory as an engine with default options has it.</summary>
    internal static RecyclableMemoryStreamManager Memory() => BatchMemory.CreateManager(new SluiceOptions());

    /// <summary>
    /// A batch of <paramref name="format"/> (ThriveStack if none) for <paramref name="partition"/> holding <paramref name="events"/> (JSON objects) in pooled memory;
    /// with <paramref name="eventSequences"/> (one per event), it records its events' outcomes as for a listener.
    /// </summary>
    internal static Batch Seal(RecyclableMemoryStreamManager memory, string[] events, int partition = ThriveStackFormat.TrackPartition, long sequence = 7,
        long[]? eventSequences = null, WireFormat? format = null)
    {
        format ??= ThriveStackFormat.Instance;
        var body = memory.GetStream();
        body.Write(format.BatchPrefix(partition));
        int[] ends = ArrayPool<int>.Shared.Rent(events.Length);
        for (int i = 0; i < events.Length; i++)
        {
            if (i > 0)
                body.WriteByte((byte)',');
            body.Write(Encoding.UTF8.GetBytes(events[i]));
            ends[i] = (int)body.Length;
        }

        body.Write(format.BatchSuffix(partition));
        long[]? sequences = null;
        if (eventSequences is not null)
        {
            sequences = ArrayPool<long>.Shared.Rent(events.Length);
            eventSequences.CopyTo(sequences, 0);
        }

        return new Batch(sequence, partition, format, events.Length, ends, format.BatchPrefix(partition).Length, body, memory, sequences);
    }
}
