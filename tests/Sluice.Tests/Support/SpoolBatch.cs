using System.Buffers;
using System.Text;

namespace Sluice.Tests.Support;

/// <summary>A batch as the spool sees it: a partition, the events' end offsets and the body's bytes.</summary>
public sealed record SpoolBatch(int Partition, int[] Ends, byte[] Body)
{
    /// <summary>A ThriveStack-shaped body: <c>[e1,e2,...]</c>, each end just after its event.</summary>
    public static SpoolBatch Json(int partition, params string[] events)
    {
        var body = new List<byte> { (byte)'[' };
        var ends = new int[events.Length];
        for (int i = 0; i < events.Length; i++)
        {
            if (i > 0)
                body.Add((byte)',');
            body.AddRange(Encoding.UTF8.GetBytes(events[i]));
            ends[i] = body.Count;
        }

        body.Add((byte)']');
        return new SpoolBatch(partition, ends, [.. body]);
    }

    /// <summary>A batch of <paramref name="events"/> events with <paramref name="bodyLength"/> random bytes (at least one per event).</summary>
    public static SpoolBatch Random(Random random, int partition, int events, int bodyLength)
    {
        bodyLength = Math.Max(bodyLength, events);
        var body = new byte[bodyLength];
        random.NextBytes(body);
        var cuts = new SortedSet<int> { bodyLength };
        while (cuts.Count < events)
            cuts.Add(random.Next(1, bodyLength));
        return new SpoolBatch(partition, [.. cuts], body);
    }

    /// <summary>The body as a sequence of <paramref name="chunk"/>-byte segments, as a pooled batch holds it.</summary>
    public ReadOnlySequence<byte> Sequence(int chunk = 64 * 1024) => Chunks(Body, chunk);

    public override string ToString() => $"p{Partition} {Ends.Length} events {Body.Length} bytes";

    /// <summary><paramref name="bytes"/> split into a multi-segment sequence.</summary>
    public static ReadOnlySequence<byte> Chunks(byte[] bytes, int chunk)
    {
        if (bytes.Length <= chunk)
            return new ReadOnlySequence<byte>(bytes);
        Chunk? first = null, last = null;
        for (int start = 0; start < bytes.Length; start += chunk)
        {
            var memory = bytes.AsMemory(start, Math.Min(chunk, bytes.Length - start));
            last = last is null ? (first = new Chunk(memory, 0)) : last.Append(memory);
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Chunk : ReadOnlySequenceSegment<byte>
    {
        public Chunk(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Chunk Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Chunk(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
