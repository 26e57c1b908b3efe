using System.Text.Json;
using Sluice.Diagnostics;
using Sluice.Serialization;
using Sluice.Producing;
using Sluice.Tests.Support;

namespace Sluice.Tests.Batching;

/// <summary>
/// The serializer keeps one writer per partition attached across events (no flush or reset per
/// event): separators, event boundaries and rollbacks must stay exact in every case.
/// </summary>
public class BatchWriterTests
{
    [Fact]
    public async Task Interleaved_partitions_each_get_exact_event_boundaries()
    {
        var transport = new CheckingTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions { MaxBatchEvents = 7 }, transport))
        {
            for (int i = 0; i < 100; i++)
            {
                if (i % 3 == 0)
                    engine.Page(null, $"s{i}", new Dictionary<string, object?> { ["n"] = i });
                else
                    engine.Track($"u{i}", "e", new Dictionary<string, object?> { ["n"] = i });
            }
        }

        Assert.Equal(100, transport.Batches.Sum(b => b.EventCount));
        Assert.All(transport.Batches, b => Assert.InRange(b.EventCount, 1, 7));
        var order = transport.Batches.OrderBy(b => b.Sequence).SelectMany(BatchJson.Events)
            .Select(e => e.GetProperty("properties").GetProperty("n").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(0, 100).Where(i => i % 3 == 0), order.Where(i => i % 3 == 0));
        Assert.Equal(Enumerable.Range(0, 100).Where(i => i % 3 != 0), order.Where(i => i % 3 != 0));
    }

    [Fact]
    public async Task Events_that_overflow_a_batch_are_rolled_back_whole_and_open_the_next()
    {
        // Sizes from tiny to most of a batch, so rollbacks happen after events the writer has not committed yet.
        const int maxBytes = 4_096;
        var transport = new CheckingTransport();
        var random = new Random(5);
        var sizes = Enumerable.Range(0, 400).Select(_ => random.Next(0, 3) == 0 ? random.Next(1_000, 3_900) : random.Next(0, 200)).ToList();
        await using (var engine = new SluiceEngine(new SluiceOptions { MaxBatchBytes = maxBytes, TimeProvider = new ManualTimeProvider() }, transport))
        {
            for (int i = 0; i < sizes.Count; i++)
                engine.Track("u", "e", new Dictionary<string, object?> { ["i"] = i, ["pad"] = new string('x', sizes[i]) });
        }

        var batches = transport.Batches.OrderBy(b => b.Sequence).ToList();
        Assert.All(batches, b => Assert.InRange(b.Body.Length, 2, maxBytes));
        var seen = batches.SelectMany(BatchJson.Events).Select(e => e.GetProperty("properties").GetProperty("i").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(0, sizes.Count), seen);

        // Maximal: a batch closed for size could not have taken the next event (plus its comma).
        for (int b = 0; b + 1 < batches.Count; b++)
        {
            int nextEventBytes = BatchJson.Events(batches[b + 1])[0].GetRawText().Length;
            Assert.True(batches[b].Body.Length + 1 + nextEventBytes > maxBytes, $"batch {b} ({batches[b].Body.Length} B) had room for the next event ({nextEventBytes} B)");
        }
    }

    [Fact]
    public async Task An_event_whose_wire_format_throws_midway_is_dropped_and_the_batch_stays_valid()
    {
        var transport = new CheckingTransport();
        var format = new ThrowingOnBoomFormat();
        SluiceCounters counters;
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = format, MaxBatchEvents = 10 }, transport))
        {
            for (int i = 0; i < 50; i++)
                engine.Track("u", i % 7 == 3 ? "boom" : $"ok{i}");
            await engine.FlushAsync();
            counters = engine.GetCounters();
        }

        int booms = Enumerable.Range(0, 50).Count(i => i % 7 == 3);
        Assert.Equal(booms, counters.Failed);
        var names = transport.Batches.OrderBy(b => b.Sequence).SelectMany(BatchJson.Events).Select(e => e.GetProperty("event_name").GetString()).ToList();
        Assert.Equal(Enumerable.Range(0, 50).Where(i => i % 7 != 3).Select(i => $"ok{i}"), names);
    }

    [Fact]
    public async Task An_oversize_event_leaves_the_open_batch_usable()
    {
        var transport = new CheckingTransport();
        SluiceCounters counters;
        await using (var engine = new SluiceEngine(new SluiceOptions { MaxBatchBytes = 1_024 }, transport))
        {
            engine.Track("u", "first");
            engine.Track("u", "huge", new Dictionary<string, object?> { ["pad"] = new string('x', 2_000) });
            engine.Track("u", "after");
            await engine.FlushAsync();
            counters = engine.GetCounters();
        }

        Assert.Equal(1, counters.RejectedOversize);
        var names = transport.Batches.SelectMany(BatchJson.Events).Select(e => e.GetProperty("event_name").GetString());
        Assert.Equal(["first", "after"], names);
    }

    /// <summary>ThriveStack, except that an event named "boom" throws after writing part of itself (more than a pooled block).</summary>
    private sealed class ThrowingOnBoomFormat() : WrappedFormat(ThriveStackFormat.Instance)
    {
        public override void WriteEvent(Utf8JsonWriter writer, in EventView e)
        {
            if (e.Name == "boom")
            {
                writer.WriteStartObject();
                writer.WritePropertyName("partial");
                writer.WriteStringValue(new string('x', 100_000));
                throw new InvalidOperationException("boom");
            }

            base.WriteEvent(writer, e);
        }
    }
}
