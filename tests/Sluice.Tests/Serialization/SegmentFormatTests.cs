using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Sluice.Collector;
using Sluice.Delivery.Transports;
using Sluice.Serialization;
using Sluice.Producing;
using Sluice.Tests.Support;

namespace Sluice.Tests.Serialization;

public class SegmentFormatTests
{
    private static readonly DateTimeOffset SpecTime = new(2015, 2, 23, 22, 28, 55, 111, TimeSpan.Zero);

    [Fact]
    public void Message_ids_start_with_the_instance_s_random_bits_and_end_with_the_event_number()
    {
        // pppppppp-pppp-4ppp-vnnn-nnnnnnnnnnnn: the same 15 random digits for one instance, others for another.
        var ids = Enumerable.Range(0, 4).Select(_ => new SegmentFormat()).Select(f => (First: Id(f, 0), Next: Id(f, 0x1234_5678_9abc))).ToList();
        foreach (var (first, next) in ids)
        {
            Assert.Equal(first[..18], next[..18]);
            Assert.Equal('4', first[14]);
            Assert.EndsWith("-8000-000000000000", first, StringComparison.Ordinal);
            Assert.EndsWith("-8000-123456789abc", next, StringComparison.Ordinal);
        }

        Assert.Equal(4, ids.Select(i => i.First[..8]).Distinct().Count());
        Assert.Equal(4, ids.Select(i => i.First[9..13]).Distinct().Count());
    }

    [Fact]
    public void A_page_without_a_name_is_refused_saying_how_to_give_one()
    {
        // The message is read by a user of the library, who has no "spec 003" to look up: it says what to pass.
        var ex = Assert.Throws<ArgumentException>(() => new SegmentFormat().Validate(EventKind.Page, null, "s", null));
        Assert.Equal("name", ex.ParamName);
        Assert.Contains("pass Page(..., name: \"Pricing\")", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("spec", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Track_and_page_are_written_in_the_batch_shape_with_sentAt_last()
    {
        var transport = new InMemoryTransport();
        var clock = new ManualTimeProvider();
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = new SegmentFormat(), TimeProvider = clock }, transport))
        {
            // Spec 003's full payload: userId, type page, name, properties, context, timestamp.
            engine.Page("97980cfea0067", null,
                new Dictionary<string, object?> { ["category"] = "string", ["url"] = "https://www.example.com/page", ["title"] = "Welcome | ACME, Inc.", ["path"] = "/page" },
                new Dictionary<string, object?> { ["active"] = true, ["ip"] = "8.8.8.8" },
                SpecTime, name: "Home");
            engine.Track("019mr8mf4r", "signed_up", new Dictionary<string, object?> { ["plan"] = "pro" }, timestamp: SpecTime);
            // A page for a session only: its id is the anonymousId; no properties or context given, none written.
            engine.Page(null, "507f191e810c19729de860ea", timestamp: SpecTime, name: "Docs");
        }

        var batch = Assert.Single(transport.Batches);
        Assert.Equal("/v1/batch", batch.EndpointPath);
        var ids = BatchJson.Events(batch, "batch").Select(e => e.GetProperty("messageId").GetString()).ToList();
        Assert.Equal(
            "{\"batch\":[" +
            $$"""{"type":"page","userId":"97980cfea0067","name":"Home","properties":{"category":"string","url":"https://www.example.com/page","title":"Welcome | ACME, Inc.","path":"/page"},"context":{"active":true,"ip":"8.8.8.8"},"timestamp":"2015-02-23T22:28:55.111000Z","messageId":"{{ids[0]}}"},""" +
            $$"""{"type":"track","userId":"019mr8mf4r","event":"signed_up","properties":{"plan":"pro"},"timestamp":"2015-02-23T22:28:55.111000Z","messageId":"{{ids[1]}}"},""" +
            $$"""{"type":"page","anonymousId":"507f191e810c19729de860ea","name":"Docs","timestamp":"2015-02-23T22:28:55.111000Z","messageId":"{{ids[2]}}"}""" +
            "],\"sentAt\":\"2024-10-20T15:51:35.000000Z\"}",
            Encoding.UTF8.GetString(batch.Body));
    }

    [Fact]
    public async Task SentAt_is_the_time_of_sending_not_of_sealing()
    {
        // Spec 003: sentAt "The ISO-8601 timestamp when a library sends an event".
        var gate = new GateTransport();
        var clock = new ManualTimeProvider();
        var t0 = clock.GetUtcNow();
        var options = new SluiceOptions { WireFormat = new SegmentFormat(), TimeProvider = clock, MaxBatchEvents = 1, MaxConcurrentSends = 1 };
        await using (var engine = new SluiceEngine(options, gate))
        {
            engine.Track("u", "first");
            engine.Track("u", "second");
            // The first batch is held in the only sender; the second is sealed and waits for it.
            await Eventually.True(() => gate.Waiting == 1 && engine.GetCounters().BatchesSealed == 2, "both batches sealed, the first in flight");
            clock.Advance(TimeSpan.FromSeconds(42));
            gate.Open();
        }

        var sent = gate.Batches.OrderBy(b => b.Sequence).Select(b => JsonDocument.Parse(b.Body).RootElement).ToList();
        Assert.Equal(2, sent.Count);
        Assert.All(sent, b => Assert.Equal("2024-10-20T15:51:35.000000Z", b.GetProperty("batch")[0].GetProperty("timestamp").GetString()));
        Assert.Equal(t0, sent[0].GetProperty("sentAt").GetDateTimeOffset());
        Assert.Equal(t0.AddSeconds(42), sent[1].GetProperty("sentAt").GetDateTimeOffset());
    }

    [Fact]
    public void StampBeforeSend_rewrites_only_the_sentAt_placeholder()
    {
        var format = new SegmentFormat();
        byte[] suffix = format.BatchSuffix(0).ToArray();

        format.StampBeforeSend(0, suffix, new DateTimeOffset(2031, 12, 30, 23, 59, 58, 123, TimeSpan.FromHours(2)).AddTicks(4560));

        Assert.Equal("""],"sentAt":"2031-12-30T21:59:58.123456Z"}""", Encoding.UTF8.GetString(suffix));
        Assert.Equal("""],"sentAt":"0001-01-01T00:00:00.000000Z"}""", Encoding.UTF8.GetString(format.BatchSuffix(0)));
    }

    [Fact]
    public async Task A_resent_batch_carries_the_same_messageIds_and_a_new_sentAt()
    {
        var clock = new ManualTimeProvider();
        var transport = new ResendTransport(clock);
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = new SegmentFormat(), TimeProvider = clock, MaxBatchEvents = 100 }, transport))
        {
            for (int i = 0; i < 250; i++)
                engine.Track("u" + i, "e");
        }

        Assert.Equal(3, transport.Sends.Count);
        int suffixLength = new SegmentFormat().BatchSuffix(0).Length;
        foreach (var (first, retry) in transport.Sends)
        {
            Assert.Equal(first.AsSpan(0, first.Length - suffixLength), retry.AsSpan(0, retry.Length - suffixLength));
            var firstSentAt = JsonDocument.Parse(first).RootElement.GetProperty("sentAt").GetDateTimeOffset();
            var retrySentAt = JsonDocument.Parse(retry).RootElement.GetProperty("sentAt").GetDateTimeOffset();
            Assert.Equal(ResendTransport.RetryDelay, retrySentAt - firstSentAt);
        }
    }

    [Fact]
    public async Task MessageIds_are_unique_UUIDs_across_batches_and_engines()
    {
        var a = new InMemoryTransport();
        var b = new InMemoryTransport();
        await using (var engineA = new SluiceEngine(new SluiceOptions { WireFormat = new SegmentFormat() }, a))
        await using (var engineB = new SluiceEngine(new SluiceOptions { WireFormat = new SegmentFormat() }, b))
        {
            for (int i = 0; i < 5_000; i++)
            {
                engineA.Track("u", "e");
                engineB.Page(null, "s", name: "p");
            }
        }

        var ids = a.Batches.Concat(b.Batches).SelectMany(batch => BatchJson.Events(batch, "batch")).Select(e => e.GetProperty("messageId").GetString()!).ToList();
        Assert.Equal(10_000, ids.Count);
        Assert.Equal(10_000, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id =>
        {
            Assert.True(Guid.TryParseExact(id, "D", out var guid), id);
            Assert.Equal(4, guid.Version);
            Assert.Equal(id, guid.ToString("D"));
        });
    }

    [Fact]
    public async Task Engines_made_from_one_options_object_give_their_events_distinct_messageIds()
    {
        // Found: a message id was the format instance's random prefix plus the event's number in its engine, so engines
        // sharing the options' SegmentFormat (one after the other, or side by side) sent different events under the same
        // messageId, and a server that de-duplicates by messageId kept only the first of them.
        var format = new SegmentFormat();
        var options = new SluiceOptions { WireFormat = format };
        var transports = new[] { new InMemoryTransport(), new InMemoryTransport(), new InMemoryTransport() };
        await using (var first = new SluiceEngine(options, transports[0]))
        {
            first.Track("u", "first-0");
            first.Track("u", "first-1");
        }

        await using (var second = new SluiceEngine(options, transports[1]))
        await using (var beside = new SluiceEngine(options, transports[2]))
        {
            second.Track("u", "second-0");
            second.Track("u", "second-1");
            beside.Page(null, "s", name: "beside-0");
            beside.Page(null, "s", name: "beside-1");
        }

        var ids = transports.SelectMany(t => t.Batches).SelectMany(batch => BatchJson.Events(batch, "batch")).Select(e => e.GetProperty("messageId").GetString()!).ToList();
        Assert.Equal(6, ids.Count);
        Assert.Equal(6, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.Same(format, options.WireFormat); // the caller's options are left as they were
    }

    [Fact]
    public void FormatMessageId_is_injective_over_event_numbers()
    {
        var format = new SegmentFormat();
        Prop.ForAll(ArbMap.Default.ArbFor<long>(), ArbMap.Default.ArbFor<long>(), (x, y) =>
        {
            long a = x & 0x3FFF_FFFF_FFFF_FFFF, b = y & 0x3FFF_FFFF_FFFF_FFFF;
            return (Id(format, a) == Id(format, b)) == (a == b) && Id(format, a)[..18] == Id(format, 0)[..18];
        }).QuickCheckThrowOnFailure();
        Assert.EndsWith("-8123-456789abcdef", Id(format, 0x0123_4567_89AB_CDEF), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_is_exactly_MaxBatchBytes_when_the_events_fill_it_envelope_included()
    {
        // Every event has the same length: same ids, name, timestamp, and fixed-width message ids.
        int eventLength = (await Bodies(maxBatchBytes: 1 << 20, events: 1)).Single().Length - Envelope;
        int threeEvents = Envelope + (3 * eventLength) + 2;

        var exact = await Bodies(threeEvents, events: 7);
        var oneLess = await Bodies(threeEvents - 1, events: 7);

        Assert.Equal([threeEvents, threeEvents, Envelope + eventLength], exact.Select(b => b.Length));
        Assert.Equal([3, 3, 1], exact.Select(b => EventsIn(b)));
        Assert.Equal([2, 2, 2, 1], oneLess.Select(b => EventsIn(b)));
        Assert.All(oneLess, b => Assert.True(b.Length <= threeEvents - 1));
    }

    [Fact]
    public async Task A_page_without_a_name_throws_naming_the_field_and_is_not_enqueued()
    {
        // Spec 003: name "Required The name of the page."
        var transport = new InMemoryTransport();
        await using var engine = new SluiceEngine(new SluiceOptions { WireFormat = new SegmentFormat() }, transport);

        var ex = Assert.Throws<ArgumentException>(() => engine.Page("u", null, name: null));
        var empty = Assert.Throws<ArgumentException>(() => engine.PageJson(null, "s", "{}"u8, name: ""));

        Assert.Equal("name", ex.ParamName);
        Assert.Equal("name", empty.ParamName);
        Assert.Equal(0, engine.GetCounters().Accepted);
    }

    [Fact]
    public async Task The_bodies_are_accepted_by_the_reference_collector()
    {
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = new SegmentFormat() }, transport))
        {
            for (int i = 0; i < 2_500; i++)
            {
                engine.Track("user-" + i, "played", new Dictionary<string, object?> { ["level"] = i, ["score"] = i * 1.5 },
                    new Dictionary<string, object?> { ["locale"] = "fr-FR" });
                engine.Page(i % 2 == 0 ? "user-" + i : null, i % 2 == 0 ? null : "session-" + i, name: "Level " + i);
            }
        }

        await using var collector = await ReferenceCollector.StartAsync();
        foreach (var batch in transport.Batches)
        {
            var (status, reply, _) = await CollectorRequests.PostAsync(collector, CollectorApi.Segment, Encoding.UTF8.GetString(batch.Body));
            Assert.True(status == 200, reply);
        }

        var received = collector.Received(CollectorApi.Segment);
        Assert.Equal(5_000, received.EventCount);
        Assert.Equal(0, received.Duplicates);
        Assert.InRange(received.MaxEventsPerRequest, 1, 1_000);
        Assert.Equal(2_500, received.Events.Count(e => e.GetProperty("type").GetString() == "page"));
        Assert.Equal(1_250, received.Events.Count(e => e.TryGetProperty("anonymousId", out _)));
    }

    private static int Envelope => new SegmentFormat().BatchPrefix(0).Length + new SegmentFormat().BatchSuffix(0).Length;

    private static int EventsIn(byte[] body) => JsonDocument.Parse(body).RootElement.GetProperty("batch").GetArrayLength();

    private static async Task<List<byte[]>> Bodies(int maxBatchBytes, int events)
    {
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions { WireFormat = new SegmentFormat(), MaxBatchBytes = maxBatchBytes }, transport))
        {
            for (int i = 0; i < events; i++)
                engine.Track("user-1", "evt", timestamp: SpecTime);
        }

        Assert.NotEmpty(transport.Batches);
        return transport.Batches.OrderBy(b => b.Sequence).Select(b => b.Body).ToList();
    }

    private static string Id(SegmentFormat format, long eventId)
    {
        Span<byte> text = stackalloc byte[36];
        format.FormatMessageId(eventId, text);
        return Encoding.ASCII.GetString(text);
    }
}
