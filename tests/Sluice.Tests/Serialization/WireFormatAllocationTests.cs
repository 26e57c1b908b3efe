using System.Buffers;
using Sluice.Batching;
using Sluice.Diagnostics;
using Sluice.Benchmarks;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Serialization;

/// <summary>
/// The serializer's inner loop must not allocate: writing an event (properties, context, timestamp and
/// message id included) allocates 0 bytes, and a batch body allocates only when it takes a pooled block.
/// </summary>
public class WireFormatAllocationTests
{
    public static TheoryData<string> Formats => ["thrivestack", "segment", "primedata"];

    [Theory]
    [MemberData(nameof(Formats))]
    public void WriteEvent_allocates_nothing(string name)
    {
        var format = Format(name);
        var records = StandardRecords();
        var output = new ArrayBufferWriter<byte>(1024 * 1024);
        var writer = new EventWriter();
        writer.Attach(output);

        WriteMany(format, writer, output, records); // warm up (JIT, tiering, the name cache)

        // Steady state: a round in which the runtime did some one-off work of its own on this thread (a
        // method promoted to its optimized tier while the suite runs beside it) is not the writer's cost.
        long fewest = long.MaxValue;
        for (int round = 0; round < 3 && fewest > 0; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            WriteMany(format, writer, output, records);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Batches_allocate_per_batch_and_per_block_not_per_event(string name)
    {
        // The serializer as the engine runs it, 2 MB batches sealed and released: a batch allocates its
        // stream and batch objects and its block list, and a block changing hands in the pool allocates
        // the pool's node; nothing is allocated per event (a byte per event would be 40,000).
        var format = Format(name);
        var records = StandardRecords();
        var options = new SluiceOptions { WireFormat = format }.Validated();
        var assembler = new BatchAssembler(options, BatchMemory.CreateManager(options), new ArenaPool(4), new EngineCounters(), _ => { });

        AddMany(assembler, records, 40_000); // warm up: the JIT, the name cache, the pool's blocks, the body's expected size
        long before = GC.GetAllocatedBytesForCurrentThread();
        var (batches, bytes) = AddMany(assembler, records, 40_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long blocks = bytes / BatchMemory.BlockSize;

        Assert.InRange(batches, 5, 40);
        Assert.True(allocated <= (batches * 1_024) + (blocks * 128), $"{allocated:N0} B for {batches} batches, {blocks} blocks, 40,000 events");
    }

    private static WireFormat Format(string name) => name switch
    {
        "segment" => new SegmentFormat(),
        "primedata" => new PrimeDataFormat("client"),
        _ => ThriveStackFormat.Instance,
    };

    /// <summary>The standard event, a track with properties and context, and a page, at times a few microseconds apart.</summary>
    internal static EventRecord[] StandardRecords()
    {
        var make = new TestRecords();
        var records = new EventRecord[64];
        for (int i = 0; i < records.Length; i++)
        {
            long ticks = TestRecords.Time + (i * 37);
            records[i] = i % 4 == 3
                ? make.SessionPage("session-1", "Home", (ref PropertiesWriter w) => w.WriteString("path", "/home"), ticks)
                : make.Track(StandardEvent.UserId(i), StandardEvent.Name, (ref PropertiesWriter w) => StandardEvent.WriteProperties(ref w, i), (ref PropertiesWriter w) => StandardEvent.WriteContext(ref w, i), ticks);
        }

        return records;
    }

    private static void WriteMany(WireFormat format, EventWriter writer, ArrayBufferWriter<byte> output, EventRecord[] records)
    {
        for (int i = 0; i < 2_000; i++)
        {
            long before = writer.Written;
            writer.Write(format, ref records[i % records.Length], i);
            Assert.True(writer.Written - before > 40);
            if (i % 100 == 99)
            {
                writer.Flush();
                output.ResetWrittenCount();
                writer.Attach(output);
            }
        }
    }

    /// <summary>Adds <paramref name="count"/> events, releasing each sealed batch as a sender would; returns the batches and their bytes.</summary>
    private static (long Batches, long Bytes) AddMany(BatchAssembler assembler, EventRecord[] records, int count)
    {
        long batches = 0, bytes = 0;
        for (int i = 0; i < count; i++)
        {
            var record = records[i % records.Length];
            assembler.Add(ref record, i);
            while (assembler.TryTakeSealed(out var batch))
            {
                batches++;
                bytes += batch.Length;
                batch.Release();
            }
        }

        return (batches, bytes);
    }
}
