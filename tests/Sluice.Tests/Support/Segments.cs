using System.Buffers;

namespace Sluice.Tests.Support;

/// <summary>Byte sequences made of chosen segments: what a pipe hands a reader when data arrives in pieces.</summary>
public static class Segments
{
    public static ReadOnlySequence<byte> Of(params byte[][] parts)
    {
        if (parts.Length == 0)
            return ReadOnlySequence<byte>.Empty;
        var first = new Segment(parts[0], 0);
        var last = first;
        for (int i = 1; i < parts.Length; i++)
            last = last.Append(parts[i]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary><paramref name="data"/> cut at <paramref name="cuts"/> (ascending offsets).</summary>
    public static byte[][] Cut(byte[] data, params int[] cuts)
    {
        var parts = new List<byte[]>();
        int start = 0;
        foreach (int cut in cuts.Append(data.Length))
        {
            parts.Add(data[start..cut]);
            start = cut;
        }

        return [.. parts];
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
