using System.Globalization;
using Sluice.Delivery.Transports;
using Sluice.Tests.Support;

namespace Sluice.Tests.Producing;

/// <summary>
/// An event given no timestamp gets the engine's clock (<see cref="SluiceOptions.TimeProvider"/>,
/// <see cref="TimeProvider.System"/> by default), read once at the call, not when the event is written.
/// </summary>
public class TimestampTests
{
    /// <summary>Counts the reads of the time it hands out.</summary>
    private sealed class CountingClock(ManualTimeProvider inner) : TimeProvider
    {
        private int _reads;

        public int Reads => Volatile.Read(ref _reads);

        public override DateTimeOffset GetUtcNow()
        {
            Interlocked.Increment(ref _reads);
            return inner.GetUtcNow();
        }

        public override long GetTimestamp() => inner.GetTimestamp();

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
            => inner.CreateTimer(callback, state, dueTime, period);
    }

    [Fact]
    public async Task Each_call_without_a_timestamp_reads_the_injected_clock_once_at_the_call()
    {
        var manual = new ManualTimeProvider(new DateTimeOffset(2024, 10, 20, 15, 51, 35, 59, TimeSpan.FromHours(7)));
        var clock = new CountingClock(manual);
        var transport = new InMemoryTransport();
        int reads;
        await using (var engine = new SluiceEngine(new SluiceOptions { TimeProvider = clock }, transport))
        {
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("u1", "e"));
            manual.Advance(TimeSpan.FromTicks(1_234_560));
            Assert.Equal(EnqueueStatus.Accepted, engine.TrackJson("u2", "e", "{\"a\":1}"u8));
            Assert.Equal(EnqueueStatus.Accepted, engine.Page(null, "s3", new Dictionary<string, object?> { ["k"] = 1 }));
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("u4", "e", timestamp: new DateTimeOffset(2000, 1, 2, 3, 4, 5, TimeSpan.FromHours(-2))));
            reads = clock.Reads;
            manual.Advance(TimeSpan.FromHours(1)); // later than every call: must not show
        }

        Assert.Equal(3, reads); // not for the event that had its own
        var timestamps = transport.Batches.SelectMany(BatchJson.Events)
            .ToDictionary(e => e.TryGetProperty("user_id", out var u) ? u.GetString()! : e.GetProperty("session_id").GetString()!, e => e.GetProperty("timestamp").GetString());
        Assert.Equal("2024-10-20T08:51:35.059000Z", timestamps["u1"]);
        Assert.Equal("2024-10-20T08:51:35.182456Z", timestamps["u2"]);
        Assert.Equal("2024-10-20T08:51:35.182456Z", timestamps["s3"]);
        Assert.Equal("2000-01-02T05:04:05.000000Z", timestamps["u4"]);
    }

    [Fact]
    public async Task By_default_an_event_gets_the_system_clock_at_the_call()
    {
        var transport = new InMemoryTransport();
        DateTimeOffset before, after;
        await using (var engine = new SluiceEngine(new SluiceOptions(), transport))
        {
            before = DateTimeOffset.UtcNow;
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("u", "e"));
            after = DateTimeOffset.UtcNow;
        }

        var sent = Assert.Single(transport.Batches.SelectMany(BatchJson.Events)).GetProperty("timestamp").GetString()!;
        var timestamp = DateTimeOffset.ParseExact(sent, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.InRange(timestamp, before.AddTicks(-(before.Ticks % 10)), after); // written to the microsecond
    }

    /// <summary>The timestamp an event given <paramref name="given"/> (accepted) is sent with.</summary>
    private static async Task<string?> SentTimestampAsync(string given)
    {
        var transport = new InMemoryTransport();
        await using (var engine = new SluiceEngine(new SluiceOptions(), transport))
            Assert.Equal(EnqueueStatus.Accepted, engine.EnqueueJson(System.Text.Encoding.UTF8.GetBytes($$"""{"user_id":"u","event_name":"e","timestamp":"{{given}}"}""")));

        return transport.Batches.SelectMany(BatchJson.Events).Single().GetProperty("timestamp").GetString();
    }

    [Theory]
    [InlineData("2024-10-20t15:51:35.059z", "2024-10-20T15:51:35.059000Z")]
    [InlineData("2024-10-20T15:51:35z", "2024-10-20T15:51:35.000000Z")]
    [InlineData("2024-10-20t22:51:35+07:00", "2024-10-20T15:51:35.000000Z")]
    public async Task A_JSON_event_s_timestamp_may_use_RFC_3339_s_lowercase_t_and_z(string given, string sent)
    {
        // RFC 3339, section 5.6: "NOTE: Per [ABNF] and ISO8601, the "T" and "Z" characters in this syntax may
        // alternatively be lower case "t" or "z" respectively."
        Assert.Equal(sent, await SentTimestampAsync(given));
    }

    [Theory]
    [InlineData("2024-10-20T15:51:35Z", "2024-10-20T15:51:35.000000Z")]
    [InlineData("2024-10-20T22:51:35+07:00", "2024-10-20T15:51:35.000000Z")]
    [InlineData("2024-10-20T22:51:35+07", "2024-10-20T15:51:35.000000Z")]
    public async Task A_JSON_event_s_timestamp_takes_the_zones_docs_input_rules_md_names(string given, string sent)
        => Assert.Equal(sent, await SentTimestampAsync(given)); // "ISO 8601 with a zone (`Z`, `+07:00`, `+07`)"

    [Theory]
    [InlineData("2024-10-20T15:51:35,059Z", "2024-10-20T15:51:35.059000Z")]
    [InlineData("2024-10-20T22:51:35,5+07:00", "2024-10-20T15:51:35.500000Z")]
    [InlineData("2024-10-20t15:51:35,0590001z", "2024-10-20T15:51:35.059000Z")]
    public async Task A_JSON_event_s_timestamp_may_use_ISO_8601_s_comma_as_its_decimal_sign(string given, string sent)
    {
        // Specs 000 and 001: "timestamp | Date | Yes | The event timestamp in UTC using the ISO 8601 format". ISO 8601:2004,
        // 4.2.2.4: a decimal fraction "shall be divided from the integer part by the decimal sign specified in ISO 31-0, i.e.
        // the comma [,] or full stop [.]. Of these, the comma is the preferred sign." A line the spec allows was refused as
        // "not ISO 8601"; it is read, and sent as every timestamp is, with a full stop.
        Assert.Equal(sent, await SentTimestampAsync(given));
    }

    [Theory]
    [InlineData("2024,10-20T15:51:35Z")]
    [InlineData("2024-10-20T15:51:35,059,1Z")]
    [InlineData("2024-10-20T15:51:35.059,1Z")]
    public async Task A_comma_anywhere_but_before_the_seconds_fraction_is_refused_as_not_ISO_8601(string given)
    {
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        var ex = Assert.Throws<ArgumentException>(() => engine.EnqueueJson(System.Text.Encoding.UTF8.GetBytes($$"""{"user_id":"u","event_name":"e","timestamp":"{{given}}"}""")));
        Assert.Equal("timestamp", ex.ParamName);
        Assert.Contains("is not ISO 8601", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(@"t\n")]
    [InlineData(@"2024-10-20t15:51:35z\""")]
    [InlineData("2024-10-20 t15:51:35z")]
    public async Task A_JSON_event_s_timestamp_with_a_lowercase_t_or_z_and_other_characters_is_refused_as_not_ISO_8601(string given)
    {
        // Escaped characters in the line's JSON string are no part of a timestamp: the line is refused for its timestamp,
        // naming it, not as JSON that is not valid.
        await using var engine = new SluiceEngine(new SluiceOptions(), new InMemoryTransport());
        var ex = Assert.Throws<ArgumentException>(() => engine.EnqueueJson(System.Text.Encoding.UTF8.GetBytes($$"""{"user_id":"u","event_name":"e","timestamp":"{{given}}"}""")));
        Assert.Equal("timestamp", ex.ParamName);
        Assert.Contains("is not ISO 8601", ex.Message, StringComparison.Ordinal);
    }
}
