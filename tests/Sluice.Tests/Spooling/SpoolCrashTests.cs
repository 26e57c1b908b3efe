using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Delivery.Transports.Http;
using Sluice.Serialization;
using Sluice.Spooling;
using Sluice.Tests.Cli;
using Sluice.Tests.Support;
using Xunit.Abstractions;

namespace Sluice.Tests.Spooling;

/// <summary>
/// Crash safety end to end: <c>sluice send --spool</c> in a child process, sending to a slow Kestrel server on loopback, is
/// killed with SIGKILL at a random point (a random number of spool bytes written, or of events received by the server). What
/// was durable before the kill is read from the spool the child left (every batch in it was appended, and synced under the
/// default policy, before its first send), plus what the server received before the kill (each of those batches was durable
/// before it was sent). A new engine on the directory must then deliver every event of the spool: losses 0. Each run prints
/// its losses and duplicates (batches sent but not acknowledged before the kill are sent again: at-least-once).
/// 20 runs by default; <c>SLUICE_CRASH_RUNS=1</c> adds 200 more.
/// </summary>
public sealed class SpoolCrashTests(ITestOutputHelper output)
{
    private const int Events = 6_000; // six batches of 1,000

    public static TheoryData<int> DefaultRuns => [.. Enumerable.Range(0, 20)];

    public static TheoryData<int> LongRuns => [.. Enumerable.Range(1_000, 200)];

    [Theory]
    [MemberData(nameof(DefaultRuns))]
    public Task A_sluice_send_killed_at_a_random_point_loses_no_event_of_a_durable_batch_after_a_restart(int run) => RunAsync(run);

    [OptInTheory("SLUICE_CRASH_RUNS")]
    [MemberData(nameof(LongRuns))]
    public Task Many_more_kills_at_random_points_lose_no_event_of_a_durable_batch(int run) => RunAsync(run);

    [Fact]
    public async Task A_sluice_send_killed_during_an_outage_loses_no_event_it_read_more_than_the_flush_interval_before()
    {
        // The server answers 503 throughout. The senders hold two batches, retrying, the sealed queue ten more; after the
        // flush interval (5 s) the serializer writes the rest to the spool only, so the event queue drains to the disk and
        // a kill loses nothing it read. Without that, 8 attempts' backoff hold each batch for minutes while the rest of
        // the input waits in memory.
        const int events = 20_000;
        await using var server = await RecordingServer.StartAsync();
        server.Down = true;
        using var directory = new TempDirectory("sluice-outage-kill");
        string spool = Path.Combine(directory.Path, "spool");
        string input = Path.Combine(directory.Path, "events.ndjson");
        File.WriteAllLines(input, Enumerable.Range(0, events).Select(n => $$$"""{"user_id":"user-{{{n % 97}}}","event_name":"outage","properties":{"n":{{{n}}}}}"""));

        using (var child = SluiceProcess.Start("send", "-i", input, "-f", "segment", "-e", server.BaseAddress.ToString(), "--write-key", "key", "--spool", spool, "-q"))
        {
            await Eventually.True(async () => child.HasExited || (Directory.Exists(spool) && (await SpoolInspector.InspectAsync(spool, TimeProvider.System)).Events == events),
                "every event read is in the spool", timeoutMs: 60_000);
            Assert.False(child.HasExited, "the child still retries");
            child.Kill();
            await child.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Empty(server.Received);
        server.Down = false;
        var restart = new SluiceEngine(new SluiceOptions { WireFormat = new SegmentFormat(), Spool = new SpoolOptions { DirectoryPath = spool } },
            new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress, Authentication = HttpAuthentication.Segment("key") }));
        await restart.FlushAsync();
        var result = await restart.ShutdownAsync();

        Assert.Equal(events, result.Counters.Delivered);
        Assert.Equal(Enumerable.Range(0, events).Select(n => (long)n), server.Received.Order());
    }

    /// <summary>
    /// A running <c>sluice send</c> keeps three batches in the spool when their retries run out (a 503 outage longer than its
    /// retry budget); the server comes back, a new batch is delivered, and the kept batches are sent again. The process is
    /// killed while they are: before any arrived (<paramref name="resentBeforeKill"/> 0), or after one or two of them did.
    /// A new engine on the directory then sends what was not acknowledged: every kept event arrives, the restart sends each
    /// once, only a batch sent but not acknowledged at the kill may arrive twice, and the spool is empty afterwards.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1_000)]
    [InlineData(2_000)]
    public async Task A_sluice_send_killed_while_it_sends_kept_batches_again_loses_none_and_a_restart_leaves_the_spool_empty(int resentBeforeKill)
    {
        const int kept = 3_000; // three batches of 1,000
        await using var server = await RecordingServer.StartAsync();
        server.Down = true;
        using var directory = new TempDirectory("sluice-resend-kill");
        string spool = Path.Combine(directory.Path, "spool");
        static string Line(int n) => $$$"""{"user_id":"user-{{{n % 97}}}","event_name":"resend","properties":{"n":{{{n}}}}}""";

        using (var child = SluiceProcess.StartWithOpenInput("send", "-i", "-", "-f", "segment", "-e", server.BaseAddress.ToString(), "--write-key", "key",
            "--spool", spool, "--retry-budget", "1s"))
        {
            foreach (int n in Enumerable.Range(0, kept))
                child.Input.WriteLine(Line(n));
            await child.Input.FlushAsync();
            await Eventually.True(() => child.HasExited || Count(child.Stderr, "they stay in it and are sent again") == 3, "the three batches are kept", timeoutMs: 60_000);
            Assert.False(child.HasExited, child.Stderr);

            // Back, and slow: a new batch (sealed after the flush interval) is delivered, then the kept ones go again.
            server.Delay = TimeSpan.FromMilliseconds(400);
            server.Down = false;
            child.Input.WriteLine(Line(kept));
            await child.Input.FlushAsync();
            await Eventually.True(() => child.HasExited || (child.Stderr.Contains("are sent again, as written", StringComparison.Ordinal)
                && server.Received.Count(n => n < kept) >= resentBeforeKill), "the kill point", timeoutMs: 60_000);
            Assert.False(child.HasExited, child.Stderr);
            child.Kill();
            await child.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        // Not acknowledged at the kill: these may have arrived already, and the restart sends them (again).
        var (inSpool, _) = await SpooledNumbersAsync(spool);

        server.Delay = TimeSpan.Zero;
        var restart = new SluiceEngine(new SluiceOptions { WireFormat = new SegmentFormat(), Spool = new SpoolOptions { DirectoryPath = spool } },
            new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress, Authentication = HttpAuthentication.Segment("key") }));
        await restart.FlushAsync();
        var result = await restart.ShutdownAsync();

        var received = server.Received;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{inSpool.Count:N0} events not acknowledged at the kill; replayed {result.Counters.Replayed:N0}, duplicates {received.Count - received.Distinct().Count():N0}"));
        Assert.Equal(Enumerable.Range(0, kept + 1).Select(n => (long)n), received.Distinct().Order());
        Assert.Equal(inSpool.Count, result.Counters.Replayed);
        Assert.Equal(result.Counters.Replayed, result.Counters.Delivered);
        var unacknowledged = inSpool.ToHashSet();
        Assert.All(received.CountBy(n => n), e => Assert.True(e.Value <= (unacknowledged.Contains(e.Key) ? 2 : 1),
            $"event {e.Key} arrived {e.Value} times")); // once, or twice if its batch was sent but not acknowledged at the kill
        var status = await SpoolInspector.InspectAsync(spool, TimeProvider.System);
        Assert.Equal((0L, 0L), (status.Batches, status.Events));
    }

    private static int Count(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    private async Task RunAsync(int run)
    {
        var random = new Random(run * 7919 + 17);
        await using var server = await RecordingServer.StartAsync();
        server.Delay = TimeSpan.FromMilliseconds(random.Next(5, 60));
        using var directory = new TempDirectory("sluice-crash");
        string spool = Path.Combine(directory.Path, "spool");
        string input = Path.Combine(directory.Path, "events.ndjson");
        File.WriteAllLines(input, Enumerable.Range(0, Events).Select(n => $$$"""{"user_id":"user-{{{n % 97}}}","event_name":"crash test","properties":{"n":{{{n}}},"pad":"{{{new string('x', n % 50)}}}"}}"""));

        // A random point: so many spool bytes written (appends, before or during a sync), or so many events received (sends, acknowledgements).
        bool bySpool = random.Next(2) == 0;
        long threshold = bySpool ? random.Next(1, 900_000) : random.Next(0, Events);
        string trigger = bySpool ? $"{threshold:N0} spool bytes written" : $"{threshold:N0} events received";

        using (var child = SluiceProcess.Start("send", "-i", input, "-f", "segment", "-e", server.BaseAddress.ToString(), "--write-key", "key", "--spool", spool, "-q"))
        {
            await Eventually.True(() => child.HasExited || (bySpool ? SpoolBytes(spool) >= threshold : server.Received.Count >= threshold),
                $"the kill point ({trigger})", timeoutMs: 60_000);
            if (child.HasExited)
                trigger += " (never reached: the child finished first)";
            else
                child.Kill();
            await child.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }

        var beforeKill = server.Received;
        var (durableInSpool, spooledBatches) = await SpooledNumbersAsync(spool);
        var durable = durableInSpool.Concat(beforeKill).ToHashSet();

        server.Delay = TimeSpan.Zero;
        var diagnostics = new List<string>();
        var restart = new SluiceEngine(new SluiceOptions
        {
            WireFormat = new SegmentFormat(),
            Spool = new SpoolOptions { DirectoryPath = spool },
            OnDiagnostic = d =>
            {
                lock (diagnostics)
                    diagnostics.Add($"{d.Kind}: {d.Message}");
            },
        }, new HttpTransport(new HttpTransportOptions { BaseAddress = server.BaseAddress, Authentication = HttpAuthentication.Segment("key") }));
        await restart.FlushAsync();
        var result = await restart.ShutdownAsync();

        var received = server.Received;
        var arrived = received.ToHashSet();
        int losses = durable.Count(n => !arrived.Contains(n));
        int duplicates = received.Count - arrived.Count;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"run {run}: killed at {trigger}; durable events {durable.Count:N0} ({spooledBatches} batches, {durableInSpool.Count:N0} events in the spool); " +
            $"replayed {result.Counters.Replayed:N0}, damaged records {result.Counters.SpoolDamaged}; losses {losses}, duplicates {duplicates}; " +
            $"never sealed before the kill (queue or open batch) {Events - arrived.Count:N0}"));

        Assert.Equal(0, losses);
        Assert.Equal(durableInSpool.Count, result.Counters.Replayed);
        Assert.Equal(result.Counters.Replayed, result.Counters.Delivered);
        Assert.True(result.Counters.SpoolDamaged <= 1, string.Join('\n', diagnostics)); // at most the tail a kill cut short
        Assert.All(received, n => Assert.InRange(n, 0, Events - 1));
    }

    private static long SpoolBytes(string spool)
    {
        try
        {
            return Directory.Exists(spool) ? new DirectoryInfo(spool).EnumerateFiles("*.segment").Sum(f => f.Length) : 0;
        }
        catch (IOException)
        {
            return 0; // a segment deleted while listed
        }
    }

    /// <summary>The events in the batches the spool holds after the kill: what was durable and not acknowledged.</summary>
    private static async Task<(List<long> Numbers, int Batches)> SpooledNumbersAsync(string spool)
    {
        var numbers = new List<long>();
        int batches = 0;
        if (!Directory.Exists(spool))
            return (numbers, 0);
        using var disk = await DiskSpool.OpenAsync(new SpoolOptions { DirectoryPath = spool }, SpoolFormatIdentity.Of(new SegmentFormat()), TimeProvider.System, null);
        await using var replay = disk.OpenReplay();
        while (await replay.MoveNextAsync())
        {
            var body = new ArrayBufferWriter<byte>();
            replay.CopyBodyTo(body);
            using var doc = JsonDocument.Parse(body.WrittenMemory);
            numbers.AddRange(doc.RootElement.GetProperty("batch").EnumerateArray().Select(e => e.GetProperty("properties").GetProperty("n").GetInt64()));
            batches++;
        }

        return (numbers, batches);
    }
}
