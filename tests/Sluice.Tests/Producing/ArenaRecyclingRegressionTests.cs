using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Sluice.Delivery.Transports;
using Sluice.Diagnostics;
using Sluice.Producing;
using Sluice.Tests.Support;

namespace Sluice.Tests.Producing;

/// <summary>
/// An arena chunk was recycled while queued events still pointed into it: a batch went out with
/// <c>"properties":{null,…}</c> (invalid JSON) or with another user's properties. The interleaving,
/// forced step by step with two producer threads and the serializer held:
/// <list type="number">
/// <item>A's call fails (it throws, or the queue refuses it) after its arena moved to a fresh chunk C: A has nothing published in C.</item>
/// <item>A enqueues an event with no property entries (an empty dictionary, a callback that writes nothing, raw JSON too large to copy): its record pointed into C all the same.</item>
/// <item>B enqueues an event into its own chunk D.</item>
/// <item>A enqueues an event larger than a chunk: A's arena returned C to the pool at once, as if no record pointed into it.</item>
/// <item>B fills D and moves on to C, rented from the pool, hanging D on it for recycling.</item>
/// <item>The serializer reaches A's stale record in C, takes D for C's retired predecessor and recycles it, then reads B's event from the cleared D.</item>
/// </list>
/// </summary>
public class ArenaRecyclingRegressionTests
{
    public enum Failure
    {
        Threw,
        Refused,
    }

    public enum NoEntries
    {
        EmptyDictionary,
        SilentCallback,
        RawJsonTooLargeToCopy,
    }

    private const int MaxBatchBytes = 64 * 1024;

    public static TheoryData<Failure, NoEntries> Cases()
    {
        var cases = new TheoryData<Failure, NoEntries>();
        foreach (var failure in Enum.GetValues<Failure>())
        {
            foreach (var noEntries in Enum.GetValues<NoEntries>())
                cases.Add(failure, noEntries);
        }

        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task An_event_without_property_entries_after_a_failed_call_does_not_get_another_producers_chunk_recycled(Failure failure, NoEntries noEntries)
    {
        var transport = new InMemoryTransport();
        var hold = new SerializerHold();
        using var a = new PinnedThread("producer A");
        using var b = new PinnedThread("producer B");
        var sent = new List<string>();
        var diagnostics = new ConcurrentQueue<DiagnosticEvent>();
        var options = new SluiceOptions
        {
            QueueCapacity = 8,
            MaxBatchBytes = MaxBatchBytes,
            OnDiagnostic = d =>
            {
                diagnostics.Enqueue(d);
                hold.OnDiagnostic(d);
            },
        };
        await using (var engine = new SluiceEngine(options, transport))
        {
            // 1. A's call fails after its arena rented a fresh chunk.
            if (failure == Failure.Threw)
            {
                Assert.Throws<ArgumentException>(() => a.Run<EnqueueResult>(() => engine.Track("a-fails", "e", 0, static (ref PropertiesWriter w, int _) =>
                {
                    w.WriteNumber("n", 1);
                    w.WriteNumber("nan", double.NaN);
                })));
            }
            else
            {
                Hold(engine, hold);
                int fillers = 0;
                while (engine.Track($"filler-{fillers}", "e") == EnqueueStatus.Accepted)
                    sent.Add($"filler-{fillers++}");
                Assert.Equal(EnqueueStatus.QueueFull, a.Run(() => Track(engine, "a-fails", 1)));
                hold.Release();
                await Eventually.True(() => engine.Processed == engine.GetCounters().Accepted, "the serializer drained the queue");
            }

            // 2-5 with the serializer held, so that every record is still queued when the next step runs.
            Hold(engine, hold);
            Assert.Equal(EnqueueStatus.Accepted, a.Run(() => TrackWithoutEntries(engine, "a-no-entries", noEntries)));
            if (noEntries != NoEntries.RawJsonTooLargeToCopy)
                sent.Add("a-no-entries");
            Assert.Equal(EnqueueStatus.Accepted, b.Run(() => Track(engine, "b-first", 1_000)));
            Assert.Equal(EnqueueStatus.Accepted, a.Run(() => Track(engine, "a-larger-than-a-chunk", ArenaChunk.DefaultEntries + 1)));
            Assert.Equal(EnqueueStatus.Accepted, b.Run(() => Track(engine, "b-second", 1_100)));
            sent.AddRange(["b-first", "a-larger-than-a-chunk", "b-second"]);

            // 6.
            hold.Release();
            await engine.FlushAsync();
        }

        var events = new List<JsonElement>();
        foreach (var batch in transport.Batches)
        {
            string body = Encoding.UTF8.GetString(batch.Body);
            try
            {
                events.AddRange(BatchJson.Events(batch));
            }
            catch (JsonException ex)
            {
                Assert.Fail($"Batch {batch.Sequence} is not valid JSON ({ex.Message}): {body[..Math.Min(body.Length, 300)]}");
            }
        }

        // (Debug builds: the ownership check fails in the serializer, which reports an internal error.)
        Assert.DoesNotContain(diagnostics, d => d.Kind is DiagnosticKind.InternalError or DiagnosticKind.EventFailed);
        Assert.Equal(sent, events.Select(e => e.GetProperty("user_id").GetString()));
        foreach (var e in events)
        {
            string user = e.GetProperty("user_id").GetString()!;
            if (user.StartsWith("filler-", StringComparison.Ordinal))
            {
                Assert.False(e.TryGetProperty("properties", out _), user);
                continue;
            }

            var properties = e.GetProperty("properties");
            if (user == "a-no-entries")
            {
                Assert.Empty(properties.EnumerateObject());
                continue;
            }

            Assert.Equal(user, properties.GetProperty("user").GetString());
            var values = properties.GetProperty("values").EnumerateArray().Select(v => v.GetInt32()).ToList();
            Assert.Equal(Enumerable.Range(0, values.Count), values);
            Assert.Equal(user switch { "b-first" => 1_000, "b-second" => 1_100, _ => ArenaChunk.DefaultEntries + 1 }, values.Count);
        }
    }

    private static void Hold(SluiceEngine engine, SerializerHold hold)
    {
        hold.Arm();
        Assert.Equal(EnqueueStatus.Accepted, engine.Track(SerializerHold.HoldUserId(engine.Options), "hold"));
        Assert.True(hold.WaitHeld(TimeSpan.FromSeconds(10)), "The serializer did not reach the hold event.");
    }

    /// <summary>An event of <paramref name="values"/> + 3 property entries (the user, the array's brackets, its values).</summary>
    private static EnqueueResult Track(SluiceEngine engine, string user, int values)
        => engine.Track(user, "e", (user, values), static (ref PropertiesWriter w, (string User, int Values) s) =>
        {
            w.WriteString("user", s.User);
            w.WriteStartArray("values");
            for (int i = 0; i < s.Values; i++)
                w.WriteNumberValue(i);
            w.WriteEndArray();
        });

    private static EnqueueResult TrackWithoutEntries(SluiceEngine engine, string user, NoEntries how) => how switch
    {
        NoEntries.EmptyDictionary => engine.Track(user, "e", new Dictionary<string, object?>()),
        NoEntries.SilentCallback => engine.Track(user, "e", 0, static (ref PropertiesWriter _, int _) => { }),
        _ => engine.TrackJson(user, "e", Encoding.UTF8.GetBytes($$"""{"big":"{{new string('x', MaxBatchBytes)}}"}""")),
    };
}
