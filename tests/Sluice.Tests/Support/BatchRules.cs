using System.Text;
using System.Text.Json;
using Sluice.Delivery.Transports;
using Sluice.Diagnostics;

namespace Sluice.Tests.Support;

/// <summary>
/// Checks every batch of a run against the rules of docs/delivery.md: valid JSON, within both limits, each
/// event byte-for-byte as expected and on its own endpoint, per-producer order, nothing lost or
/// duplicated, oversize events (and only those) rejected, maximal when closed for size (whatever was
/// refused in between), counters adding up.
/// </summary>
public static class BatchRules
{
    /// <param name="sent">Every event offered, in the order each producer offered it.</param>
    /// <param name="accepted">Those the engine accepted.</param>
    /// <param name="closedOnlyForSize">True when no flush or linger ran, so every batch but a partition's last was closed for size.</param>
    /// <param name="shape">The wire format's shape; ThriveStack's if not given.</param>
    /// <param name="sequences">Each accepted event's sequence number in the engine, by (producer, seq): for formats that write it (message ids).</param>
    public static void Check(IReadOnlyList<TestEvent> accepted, IReadOnlyList<ReceivedBatch> batches, SluiceCounters counters,
        int maxEvents, int maxBytes, bool closedOnlyForSize, WireShape? shape = null, IReadOnlyDictionary<(int, int), long>? sequences = null)
    {
        shape ??= WireShape.ThriveStack;
        var bySeq = accepted.ToDictionary(e => (e.Producer, e.Seq));
        var json = accepted.ToDictionary(e => (e.Producer, e.Seq), e => shape.EventJson(e, sequences?[(e.Producer, e.Seq)] ?? -1));
        var bytes = json.ToDictionary(j => j.Key, j => Encoding.UTF8.GetByteCount(j.Value));
        int Bytes(TestEvent e) => bytes[(e.Producer, e.Seq)];
        int prefixBytes = Encoding.UTF8.GetByteCount(shape.Prefix);
        var delivered = new HashSet<(int, int)>();
        var ordered = batches.OrderBy(b => b.Sequence).ToList();
        var partitionsSeen = new Dictionary<string, List<(ReceivedBatch Batch, List<TestEvent> Events)>>();

        foreach (var batch in ordered)
        {
            Assert.True(batch.EventCount <= maxEvents, $"Batch {batch.Sequence} holds {batch.EventCount} > {maxEvents} events.");
            Assert.True(batch.Body.Length <= maxBytes, $"Batch {batch.Sequence} is {batch.Body.Length} > {maxBytes} bytes.");
            using var doc = JsonDocument.Parse(batch.Body);
            var array = shape.Events(doc.RootElement);
            Assert.Equal(JsonValueKind.Array, array.ValueKind);
            Assert.Equal(batch.EventCount, array.GetArrayLength());

            // The envelope exactly, send-time fields as stamped for the send, not as sealed.
            string suffix = shape.ExpectedSuffix(batch.Body);
            Assert.Equal(shape.Prefix, Encoding.UTF8.GetString(batch.Body, 0, prefixBytes));
            Assert.Equal(suffix, Encoding.UTF8.GetString(batch.Body, batch.Body.Length - Encoding.UTF8.GetByteCount(suffix), Encoding.UTF8.GetByteCount(suffix)));
            int envelope = prefixBytes + Encoding.UTF8.GetByteCount(suffix);

            var events = new List<TestEvent>();
            foreach (var element in array.EnumerateArray())
            {
                var props = element.GetProperty("properties");
                var key = (props.GetProperty("producer").GetInt32(), props.GetProperty("seq").GetInt32());
                Assert.True(bySeq.TryGetValue(key, out var expected), $"Batch {batch.Sequence} holds an event never accepted: {key}.");
                Assert.True(delivered.Add(key), $"Event {key} was delivered twice.");
                Assert.Equal(json[key], element.GetRawText());
                Assert.Equal(shape.Endpoint(expected!), batch.EndpointPath);
                events.Add(expected!);
            }

            // The body is exactly the prefix + events joined by "," + the suffix: nothing else counts toward the limit.
            Assert.Equal(envelope + events.Sum(Bytes) + (events.Count - 1), batch.Body.Length);
            if (!partitionsSeen.TryGetValue(batch.EndpointPath, out var list))
                partitionsSeen[batch.EndpointPath] = list = [];
            list.Add((batch, events));
        }

        // Per-producer order within a partition, across batches in sealing order.
        foreach (var list in partitionsSeen.Values)
        {
            var last = new Dictionary<int, int>();
            foreach (var e in list.SelectMany(x => x.Events))
            {
                if (last.TryGetValue(e.Producer, out int previous))
                    Assert.True(e.Seq > previous, $"Producer {e.Producer}: event {e.Seq} after {previous}.");
                last[e.Producer] = e.Seq;
            }
        }

        // Conservation: what was not delivered was rejected as oversize, and really was oversize.
        var missing = accepted.Where(e => !delivered.Contains((e.Producer, e.Seq))).ToList();
        int envelopeBytes = prefixBytes + Encoding.UTF8.GetByteCount(shape.ExpectedSuffix([]));
        foreach (var e in missing)
            Assert.True(Bytes(e) + envelopeBytes > maxBytes, $"Event {e.Seq} ({Bytes(e)} B) fits a batch but was not delivered.");
        foreach (var e in accepted.Where(e => delivered.Contains((e.Producer, e.Seq))))
            Assert.True(Bytes(e) + envelopeBytes <= maxBytes);

        Assert.Equal(accepted.Count, counters.Accepted);
        Assert.Equal(delivered.Count, counters.Delivered);
        Assert.Equal(missing.Count, counters.RejectedOversize);
        Assert.Equal(0, counters.InFlight);
        Assert.Equal(batches.Count, counters.BatchesSealed);
        Assert.Equal(batches.Count, counters.BatchesDelivered);
        Assert.Equal(delivered.Count, counters.EventsSealed);
        Assert.Equal(batches.Sum(b => (long)b.Body.Length), counters.BytesSealed);

        if (!closedOnlyForSize)
            return;

        // Maximality: a batch followed by another on its partition was closed for size, so either it is
        // full, or the next accepted event (the first of the next batch) would have pushed it past the
        // limit. Events refused as oversize in between change nothing: they never close a batch.
        foreach (var list in partitionsSeen.Values)
        {
            for (int i = 0; i + 1 < list.Count; i++)
            {
                var (batch, _) = list[i];
                var next = list[i + 1].Events[0];
                Assert.True(batch.EventCount == maxEvents || batch.Body.Length + 1 + Bytes(next) > maxBytes,
                    $"Batch {batch.Sequence} ({batch.EventCount} events, {batch.Body.Length} B) was closed although event {next.Seq} ({Bytes(next)} B) fit.");
            }
        }
    }

    /// <summary>A string of exactly <paramref name="length"/> UTF-16 units made by repeating <paramref name="unit"/>.</summary>
    public static string Repeat(string unit, int length)
    {
        var sb = new StringBuilder(length + unit.Length);
        while (sb.Length < length)
            sb.Append(unit);
        var s = sb.ToString(0, length);
        // Never end on half a surrogate pair: that would be a different (lone surrogate) test.
        return s.Length > 0 && char.IsHighSurrogate(s[^1]) ? s[..^1] + "x" : s;
    }
}
