using System.Text.Json;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Producing;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery;

/// <summary>The byte limit at its edges: a body exactly at it, what a 413 lowers it to, and how low it can go.</summary>
public class ByteLimitTests
{
    [Fact]
    public async Task A_batch_exactly_at_the_byte_limit_is_sent_whole()
    {
        long length;
        await using (var sized = new PolicyHarness(_ => SendResult.Delivered))
        {
            sized.Track(10);
            await sized.Engine.FlushAsync();
            await sized.ShutdownAsync();
            length = Assert.Single(sized.Transport.Attempts).Batch.Body.Length;
        }

        await using var h = new PolicyHarness(_ => SendResult.Delivered, o => o.MaxBatchBytes = (int)length);
        h.Track(10);
        await h.Engine.FlushAsync();

        await h.ShutdownAsync();
        var attempt = Assert.Single(h.Transport.Attempts);
        Assert.Equal((10, length), (attempt.Batch.EventCount, attempt.Batch.Body.Length));
    }

    [Fact]
    public async Task A_413_of_a_part_lowers_the_limit_by_that_parts_own_largest_event_not_by_the_next_one()
    {
        // Events 0, 1 and 3 small, 2 large. The batch is refused (413): the limit halves to half the body; the part
        // [0,2) then fits and is refused too: the limit goes to its largest event alone, event 2 being no part of it.
        await using var h = new PolicyHarness(a => a.Number < 2 ? SendResult.TooLarge("too large") : SendResult.Delivered);
        foreach (var (user, size) in new[] { ("s-0", 300), ("s-1", 300), ("big-2", 600), ("s-3", 300) })
            h.Engine.Track(user, "e", new Dictionary<string, object?> { ["blob"] = new string('x', size) });
        await h.Engine.FlushAsync();

        var result = await h.ShutdownAsync();
        Assert.Equal(4, result.Counters.Delivered);
        var attempts = h.Transport.Attempts;
        long whole = attempts[0].Batch.Body.Length, part = attempts[1].Batch.Body.Length;
        Assert.Equal(2, attempts[1].Batch.EventCount);
        long Alone(string user) => attempts.Single(a => a.Batch.EventCount == 1 && a.Contains($"\"{user}\"")).Batch.Body.Length;
        long first = whole / 2, second = Math.Max(Alone("s-0"), Alone("s-1"));
        Assert.True(Alone("big-2") > second && Alone("big-2") < first, "the test needs the large event between the two limits");
        Assert.Equal(
        [
            $"The server refused a {whole:N0}-byte body to /api/track as too large: 413: too large. That endpoint's batch byte limit is lowered from {2_097_152:N0} to {first:N0}.",
            $"The server refused a {part:N0}-byte body to /api/track as too large: 413: too large. That endpoint's batch byte limit is lowered from {first:N0} to {second:N0}.",
        ], h.Of(DiagnosticKind.LimitLowered).Select(d => d.Message));
    }

    [Fact]
    public async Task The_limit_never_goes_below_a_body_of_one_empty_event()
    {
        // A server refusing even the smallest body: the limit stops at the envelope and "{}", which the batcher can still fill.
        await using var h = new PolicyHarness(_ => SendResult.TooLarge("too large"), o => o.WireFormat = new EmptyEvents());
        h.Track(2);
        await h.Engine.FlushAsync();

        var result = await h.ShutdownAsync();
        Assert.Equal(2, result.Counters.RejectedByServer);
        var format = ThriveStackFormat.Instance;
        int envelope = format.BatchPrefix(ThriveStackFormat.TrackPartition).Length + format.BatchSuffix(ThriveStackFormat.TrackPartition).Length;
        long smallest = h.Transport.Attempts[^1].Batch.Body.Length;
        Assert.Equal(envelope + 2, smallest);
        Assert.EndsWith($"lowered from {2_097_152:N0} to {smallest:N0}.", Assert.Single(h.Of(DiagnosticKind.LimitLowered)).Message, StringComparison.Ordinal);
    }

    /// <summary>The standard envelope around events written as <c>{}</c>.</summary>
    private sealed class EmptyEvents() : WrappedFormat(ThriveStackFormat.Instance)
    {
        public override void WriteEvent(Utf8JsonWriter writer, in EventView e)
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
    }
}
