using Sluice.Batching;
using Sluice.Serialization;
using Sluice.Producing;

namespace Sluice.Tests.Serialization;

/// <summary>The serializer's inner loop must not allocate: writing an event (message id included) allocates 0 bytes.</summary>
public class WireFormatAllocationTests
{
    public static TheoryData<string> Formats => ["thrivestack", "segment", "primedata"];

    [Theory]
    [MemberData(nameof(Formats))]
    public void WriteEvent_allocates_nothing(string name)
    {
        WireFormat format = name switch
        {
            "segment" => new SegmentFormat(),
            "primedata" => new PrimeDataFormat("client"),
            _ => ThriveStackFormat.Instance,
        };
        var buffer = new BatchBuffer(new SegmentPool(maxRetained: 4));
        var writer = new JsonEventWriter(buffer);
        var track = new EventRecord { Kind = EventKind.Track, Id = "user-1", Name = "played", TimestampTicks = DateTime.UtcNow.Ticks, PropCount = -1, CtxCount = -1 };
        var page = new EventRecord { Kind = EventKind.Page, Id = "session-1", IdIsSession = true, Name = "Home", TimestampTicks = track.TimestampTicks, PropCount = -1, CtxCount = -1 };

        var names = new PropertyNameCache(BatchAssembler.WriterOptions.Encoder!);
        WriteMany(format, writer, buffer, names, ref track, ref page); // warm up (JIT, tiering)
        long before = GC.GetAllocatedBytesForCurrentThread();
        WriteMany(format, writer, buffer, names, ref track, ref page);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    private static void WriteMany(WireFormat format, JsonEventWriter writer, BatchBuffer buffer, PropertyNameCache names, ref EventRecord track, ref EventRecord page)
    {
        for (int i = 0; i < 2_000; i++)
        {
            format.WriteEvent(writer, new EventView(ref i % 2 == 0 ? ref track : ref page, i, names));
            writer.Release();
            Assert.True(buffer.Length > 40);
            buffer.Truncate(0);
        }
    }
}
