using FsCheck;
using FsCheck.Fluent;
using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.IO;
using Sluice.Batching;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Batching;

/// <summary>A sealed batch in pooled blocks: its events, its parts, its send-time stamp, and the pool it draws on.</summary>
public class BatchTests
{
    [Fact]
    public void Events_and_ranges_are_found_by_their_ends_whatever_blocks_they_lie_in()
    {
        // 3,000 events of 50 to 99 bytes: some straddle the 64 KB block edges.
        var events = Enumerable.Range(0, 3_000).Select(i => $"{{\"i\":{i},\"p\":\"{new string('x', 30 + (i % 50))}\"}}").ToArray();
        var batch = TestBatches.Seal(TestBatches.Memory(), events);
        Assert.True(batch.Length > 2 * BatchMemory.BlockSize);

        for (int i = 0; i < events.Length; i++)
            Assert.Equal(events[i], Encoding.UTF8.GetString(batch.GetEvent(i)));
        Assert.Equal(batch.Length, batch.RangeLength(0, events.Length));
        Assert.Equal(2 + Encoding.UTF8.GetByteCount(events[0]), batch.RangeLength(0, 1));
        Assert.Equal(2 + Encoding.UTF8.GetByteCount(events[^1]), batch.RangeLength(events.Length - 1, 1));
        Assert.Equal(2 + events[1000..1003].Sum(e => e.Length) + 2, batch.RangeLength(1000, 3));
        batch.Release();
    }

    [Fact]
    public void A_slice_of_the_last_events_ends_with_the_envelope_and_can_be_sliced_again()
    {
        var batch = TestBatches.Seal(TestBatches.Memory(), ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "{\"d\":4}"]);

        var tail = batch.Slice(2, 2);
        var last = tail.Slice(1, 1);

        Assert.Equal("[{\"c\":3},{\"d\":4}]", Encoding.UTF8.GetString(tail.Body));
        Assert.Equal("[{\"d\":4}]", Encoding.UTF8.GetString(last.Body));
        Assert.Equal("{\"c\":3}", Encoding.UTF8.GetString(tail.GetEvent(0)));
        Assert.Equal(tail.Length, batch.RangeLength(2, 2));
        Assert.Equal(2, batch.EnvelopeLength);
        Assert.Equal(2, tail.EnvelopeLength);
        Assert.Equal(batch.PrefixLength, last.PrefixLength);
        last.Release();
        tail.Release();
        batch.Release();
    }

    [Fact]
    public void Out_of_range_events_and_slices_are_refused_naming_the_argument()
    {
        var batch = TestBatches.Seal(TestBatches.Memory(), ["{}", "{}", "{}"]);

        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => batch.GetEvent(-1)).ParamName);
        Assert.Equal("index", Assert.Throws<ArgumentOutOfRangeException>(() => batch.GetEvent(3)).ParamName);
        Assert.Equal("start", Assert.Throws<ArgumentOutOfRangeException>(() => batch.Slice(-1, 1)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => batch.Slice(0, 0)).ParamName);
        Assert.Equal("start + count", Assert.Throws<ArgumentOutOfRangeException>(() => batch.Slice(1, 3)).ParamName);
        Assert.Equal("start + count", Assert.Throws<ArgumentOutOfRangeException>(() => batch.Slice(3, 1)).ParamName);
        Assert.Equal("{}", Encoding.UTF8.GetString(batch.GetEvent(2)));
        Assert.Equal(3, batch.Slice(0, 3).EventCount);

        batch.Release();
        Assert.Equal("The batch's memory was already released.", Assert.Throws<InvalidOperationException>(() => batch.Slice(0, 1)).Message);
    }

    [Fact]
    public void A_slice_of_sixteen_events_records_exactly_sixteen_ends()
    {
        // Sixteen ends fill the array the pool rents for them to the last slot.
        var batch = TestBatches.Seal(TestBatches.Memory(), [.. Enumerable.Range(0, 20).Select(i => $"{{\"i\":{i}}}")]);
        var slice = batch.Slice(2, 16);

        Assert.Equal(16, slice.EventCount);
        Assert.Equal(Enumerable.Range(2, 16).Select(i => $"{{\"i\":{i}}}"), Enumerable.Range(0, 16).Select(i => Encoding.UTF8.GetString(slice.GetEvent(i))));
        slice.Release();
        batch.Release();
    }

    [Fact]
    public void A_slice_of_several_parts_holds_their_events_in_order_in_one_envelope_whatever_blocks_they_lie_in()
    {
        // 3,000 events straddling the 64 KB block edges; any parts, in order and apart: the slice is one valid body with exactly
        // their events, and its ends find each of them.
        var events = Enumerable.Range(0, 3_000).Select(i => $"{{\"i\":{i},\"p\":\"{new string('x', 30 + (i % 50))}\"}}").ToArray();
        var batch = TestBatches.Seal(TestBatches.Memory(), events);
        var parts = from cuts in Gen.ArrayOf(Gen.Choose(0, 3_000)).Where(c => c.Length >= 2)
                    select cuts.Distinct().Order().Chunk(2).Where(c => c.Length == 2).Select(c => (Start: c[0], Count: c[1] - c[0])).ToArray();
        Prop.ForAll(Arb.From(parts.Where(p => p.Length > 0)), p =>
        {
            var slice = batch.Slice(p);
            var expected = p.SelectMany(part => events.Skip(part.Start).Take(part.Count)).ToArray();
            Assert.Equal(expected.Length, slice.EventCount);
            Assert.Equal(expected, Enumerable.Range(0, slice.EventCount).Select(i => Encoding.UTF8.GetString(slice.GetEvent(i))));
            Assert.Equal(slice.Length, slice.EventEnds[^1] + 1); // the ThriveStack envelope: "[", the events, "]"
            Assert.Equal(expected, JsonDocument.Parse(slice.Body).RootElement.EnumerateArray().Select(e => e.GetRawText()));
            slice.Release();
        }).QuickCheckThrowOnFailure();
        batch.Release();
    }

    [Fact]
    public void Parts_out_of_order_overlapping_or_empty_are_refused()
    {
        var batch = TestBatches.Seal(TestBatches.Memory(), ["{}", "{}", "{}", "{}"]);

        Assert.Equal("parts", Assert.Throws<ArgumentOutOfRangeException>(() => batch.Slice([(2, 1), (1, 1)])).ParamName);
        Assert.Equal("parts", Assert.Throws<ArgumentOutOfRangeException>(() => batch.Slice([(0, 2), (1, 2)])).ParamName);
        Assert.Equal("parts", Assert.Throws<ArgumentOutOfRangeException>(() => batch.Slice([(0, 1), (2, 0)])).ParamName);
        Assert.Equal("parts", Assert.Throws<ArgumentOutOfRangeException>(() => batch.Slice([(3, 2)])).ParamName);
        Assert.Equal("parts", Assert.Throws<ArgumentOutOfRangeException>(() => batch.Slice([])).ParamName);
        Assert.Equal(3, batch.Slice([(0, 1), (2, 2)]).EventCount); // next to each other's end, and to the batch's
    }

    [Fact]
    public void A_claim_refused_after_a_forced_shutdown_finishes_nothing()
    {
        var batch = TestBatches.Seal(TestBatches.Memory(), ["{}", "{}"]);
        Assert.Equal(2, batch.SettleRemaining());

        Assert.False(batch.TrySettle(1, out bool finished));
        Assert.False(finished);
    }

    [Fact]
    public void The_send_time_stamp_is_written_even_when_the_suffix_spans_two_blocks()
    {
        var format = new SegmentFormat();
        int suffix = format.BatchSuffix(0).Length;
        var now = new DateTimeOffset(2031, 12, 30, 21, 59, 58, 123, TimeSpan.Zero).AddTicks(4560);
        for (int beforeEdge = 0; beforeEdge <= suffix; beforeEdge++)
        {
            // One event sized so that the suffix starts beforeEdge bytes before the first block's end.
            var batch = SegmentBatch(format, BatchMemory.BlockSize - beforeEdge);
            int segments = 0;
            foreach (var _ in batch.Body)
                segments++;
            Assert.Equal(beforeEdge < suffix ? 2 : 1, segments);

            batch.StampForSend(now);
            batch.StampForSend(now); // again, as before a retry

            using var body = JsonDocument.Parse(batch.Body);
            Assert.Equal("2031-12-30T21:59:58.123456Z", body.RootElement.GetProperty("sentAt").GetString());
            Assert.Equal(1, body.RootElement.GetProperty("batch").GetArrayLength());
            batch.Release();
        }
    }

    [Fact]
    public void The_pool_keeps_the_blocks_of_every_batch_that_can_be_alive_at_once_and_no_more()
    {
        // Default options: 2 MB batches (32 blocks, 2 more for the edges), 2 senders with 3 batches each
        // (one sending, two queued), and one open batch per ThriveStack partition.
        var defaults = BatchMemory.CreateManager(new SluiceOptions()).Settings;
        Assert.Equal((32 + 2) * ((2 * 3) + 2) * (long)BatchMemory.BlockSize, defaults.MaximumSmallPoolFreeBytes);
        Assert.True(defaults.BlockSize < 85_000, "blocks stay off the large-object heap");
        Assert.Equal(BatchMemory.BlockSize, defaults.BlockSize);
        Assert.True(defaults.ThrowExceptionOnToArray);

        // Huge batches are capped at 1,024 blocks each; one partition, one sender.
        var huge = BatchMemory.CreateManager(new SluiceOptions { MaxBatchBytes = SluiceOptions.MaxBatchBytesLimit, MaxConcurrentSends = 1, WireFormat = new SegmentFormat() }).Settings;
        Assert.Equal(1_024 * ((1 * 3) + 1) * (long)BatchMemory.BlockSize, huge.MaximumSmallPoolFreeBytes);

        // Small batches still keep two blocks each.
        var small = BatchMemory.CreateManager(new SluiceOptions { MaxBatchBytes = 1_000, MaxConcurrentSends = 4 }).Settings;
        Assert.Equal(2 * ((4 * 3) + 2) * (long)BatchMemory.BlockSize, small.MaximumSmallPoolFreeBytes);

        // Temporary buffers for single huge tokens: few kept, bounded sizes.
        Assert.True(defaults.MaximumLargePoolFreeBytes is > 0 and <= 1024 * 1024);
        Assert.True(defaults.UseExponentialLargeBuffer);
        Assert.Equal(2 * BatchMemory.BlockSize, defaults.LargeBufferMultiple);
        Assert.Equal(SluiceOptions.MaxBatchBytesLimit, defaults.MaximumBufferSize);
    }

    [Fact]
    public void Releasing_a_batch_gives_its_event_ends_back_to_the_pool()
    {
        // The thread's cached array of this size is taken first, so the one given back is the next rented.
        var drained = ArrayPool<int>.Shared.Rent(16);
        var memory = TestBatches.Memory();
        var format = ThriveStackFormat.Instance;
        var body = memory.GetStream();
        body.Write("[{}]"u8);
        int[] ends = new int[16];
        ends[0] = 3;
        var batch = new Batch(0, 0, format, 1, ends, 1, body, memory);

        batch.Release();

        Assert.Same(ends, ArrayPool<int>.Shared.Rent(16));
        ArrayPool<int>.Shared.Return(drained);
    }

    [Fact]
    public void Abandoning_an_open_batch_gives_its_ends_and_sequences_back_to_the_pool()
    {
        var options = new SluiceOptions { MaxBatchEvents = 16 }.Validated();
        var open = new OpenBatch(0, options.MaxBatchBytes, 1, 1, BatchMemory.CreateManager(options), recordSequences: true);
        var drainedEnds = ArrayPool<int>.Shared.Rent(16);
        var drainedSequences = ArrayPool<long>.Shared.Rent(16);
        open.Open(ThriveStackFormat.Instance.BatchPrefix(0), 16);
        var ends = open.Ends;
        var sequences = open.Sequences;

        open.Abandon();

        Assert.Same(ends, ArrayPool<int>.Shared.Rent(16));
        Assert.Same(sequences, ArrayPool<long>.Shared.Rent(16));
        ArrayPool<int>.Shared.Return(drainedEnds);
        ArrayPool<long>.Shared.Return(drainedSequences);
    }

    /// <summary>A Segment batch with one event of the size that makes its body's events end at <paramref name="eventsEnd"/>.</summary>
    private static Batch SegmentBatch(SegmentFormat format, int eventsEnd)
    {
        var memory = TestBatches.Memory();
        var prefix = format.BatchPrefix(0);
        int padding = eventsEnd - prefix.Length - "{\"p\":\"\"}".Length;
        byte[] json = Encoding.UTF8.GetBytes($"{{\"p\":\"{new string('x', padding)}\"}}");
        RecyclableMemoryStream body = memory.GetStream();
        body.Write(prefix);
        body.Write(json);
        int[] ends = ArrayPool<int>.Shared.Rent(1);
        ends[0] = (int)body.Length;
        body.Write(format.BatchSuffix(0));
        return new Batch(0, 0, format, 1, ends, prefix.Length, body, memory);
    }
}
