using FsCheck;
using FsCheck.Fluent;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Delivery.Transports;
using Sluice.Diagnostics;
using Sluice.Serialization;
using Sluice.Spooling;
using Sluice.Tests.Support;

namespace Sluice.Tests.Spooling;

/// <summary>
/// An outage longer than the retry budget, in an engine that keeps running: the batches whose retries ran out stay in the
/// spool (counted spooled), and the same engine sends them again, as written, once their endpoint delivers another batch,
/// or, while it delivers none, probes it with the oldest alone every <see cref="SluiceOptions.RetryMaxDelay"/>. No restart
/// is needed, nothing is sent twice once delivered, and the counters add up with <see cref="SluiceCounters.Resent"/>.
/// </summary>
public sealed class ResendKeptTests : IDisposable
{
    private static readonly TimeSpan ProbeAfter = TimeSpan.FromSeconds(30); // RetryMaxDelay's default

    private readonly TempDirectory _directory = new("sluice-resend-kept");
    private readonly ManualTimeProvider _time = new();
    private readonly List<DiagnosticEvent> _diagnostics = [];
    private volatile bool _up;

    public void Dispose() => _directory.Dispose();

    private ScriptedTransport Endpoint() => new(_ => _up ? SendResult.Delivered : SendResult.Retry("503 Service Unavailable", statusCode: 503));

    /// <param name="spoolBytes">The spool's cap; a small one (batches of at most 4,000 bytes) evicts within a test.</param>
    private SluiceEngine Engine(IBatchTransport transport, long spoolBytes = 1L << 30, string? directory = null) => new(new SluiceOptions
    {
        WireFormat = new SegmentFormat(),
        MaxBatchEvents = 10,
        MaxBatchBytes = 4_000,
        FlushInterval = TimeSpan.FromDays(1),
        MaxSendAttempts = 1, // the first transient failure spends the retry budget: an outage longer than it, without waiting
        TimeProvider = _time,
        OnDiagnostic = d =>
        {
            lock (_diagnostics)
                _diagnostics.Add(d);
        },
        Spool = new SpoolOptions { DirectoryPath = directory ?? _directory.Path, MaxBytes = spoolBytes, SegmentBytes = Math.Min(spoolBytes / 2, 16L << 20) },
    }, transport);

    private List<DiagnosticEvent> DiagnosticsOf(DiagnosticKind kind)
    {
        lock (_diagnostics)
            return [.. _diagnostics.Where(d => d.Kind == kind)];
    }

    private static void Track(SluiceEngine engine, int from, int count)
    {
        for (int i = from; i < from + count; i++)
            Assert.Equal(EnqueueStatus.Accepted, engine.Track("user-1", $"event-{i}").Status);
    }

    private static List<string> Names(ScriptedTransport.Attempt attempt) => [.. BatchJson.Events(attempt.Batch, "batch").Select(e => e.GetProperty("event").GetString()!)];

    private static List<string> MessageIds(ScriptedTransport.Attempt attempt) => [.. BatchJson.Events(attempt.Batch, "batch").Select(e => e.GetProperty("messageId").GetString()!)];

    private static IEnumerable<string> Range(int from, int count) => Enumerable.Range(from, count).Select(i => $"event-{i}");

    /// <summary>Tracks 25 events into a down endpoint and flushes: three batches (10, 10, 5) run out of retries and are kept.</summary>
    private async Task<SluiceEngine> OutageAsync(ScriptedTransport endpoint)
    {
        var engine = Engine(endpoint);
        Track(engine, 0, 25);
        await engine.FlushAsync();
        var c = engine.GetCounters();
        Assert.Equal((25L, 0L, 25L, 0L), (c.Spooled, c.Resent, c.LeftInSpool, c.InFlight));
        Assert.Equal(3, endpoint.AttemptCount);
        return engine;
    }

    /// <summary>
    /// A flush of nothing completes in the serializer's pass that follows the wake-up, after it looked at the kept batches:
    /// what it has not sent again by then it did not take.
    /// </summary>
    private static async Task<long> ResentAfterAPassAsync(SluiceEngine engine)
    {
        await engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return engine.GetCounters().Resent;
    }

    [Fact]
    public async Task Batches_whose_retries_ran_out_are_sent_again_as_written_once_the_endpoint_delivers_a_new_batch_without_a_restart()
    {
        var endpoint = Endpoint();
        var engine = await OutageAsync(endpoint);
        var keptIds = endpoint.Attempts.OrderBy(a => a.Batch.Sequence).SelectMany(MessageIds).ToList();

        // Still down, nothing delivered: they stay where they are.
        Assert.Equal(0, await ResentAfterAPassAsync(engine));

        _up = true;
        Track(engine, 100, 5);
        await engine.FlushAsync();
        await Eventually.True(() => engine.GetCounters().Delivered == 30, "the kept batches are sent again after the new batch is delivered");

        var c = engine.GetCounters();
        Assert.Equal((25L, 25L, 0L, 0L), (c.Spooled, c.Resent, c.LeftInSpool, c.InFlight));
        var delivered = endpoint.Attempts.Skip(3).Where(a => a.Result.Outcome == SendOutcome.Delivered).OrderBy(a => a.Batch.Sequence).ToList();
        Assert.Equal(4, delivered.Count);
        Assert.Equal(Range(100, 5), Names(delivered[0]));

        // The bodies as written: the same message ids, each delivered once, oldest first (in the order they were taken).
        Assert.Equal(keptIds, delivered.Skip(1).SelectMany(MessageIds));
        Assert.Equal(Range(0, 25), delivered.Skip(1).SelectMany(Names));
        var resent = Assert.Single(DiagnosticsOf(DiagnosticKind.SpoolReplayed));
        Assert.Equal(25, resent.EventCount);
        Assert.Contains("3 batch(es) (25 events) left in the spool", resent.Message, StringComparison.Ordinal);

        var result = await engine.ShutdownAsync();
        Conservation.AssertBalanced(result.Counters);
        Assert.Equal(0, engine.HeldBatchBodies);

        // Acknowledged: nothing is left for the next engine on the directory.
        var status = await SpoolInspector.InspectAsync(_directory.Path, _time);
        Assert.Equal((0L, 0L), (status.Batches, status.Events));
    }

    [Fact]
    public async Task A_host_that_tracks_nothing_more_probes_with_the_oldest_kept_batch_after_the_longest_retry_wait_and_its_delivery_sends_the_rest()
    {
        var endpoint = Endpoint();
        var engine = await OutageAsync(endpoint);
        _up = true;

        _time.Advance(ProbeAfter - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await ResentAfterAPassAsync(engine));
        Assert.Equal(3, endpoint.AttemptCount);

        _time.Advance(TimeSpan.FromSeconds(1));
        await Eventually.True(() => engine.GetCounters().Delivered == 25, "the probe is delivered and the rest follow");

        var again = endpoint.Attempts.Skip(3).ToList();
        Assert.Equal(3, again.Count);
        Assert.Equal(Range(0, 10), Names(again[0])); // the probe: the oldest, alone, before the others
        Assert.Equal(Range(0, 25), again.SelectMany(Names).OrderBy(n => int.Parse(n["event-".Length..], System.Globalization.CultureInfo.InvariantCulture)));
        var c = (await engine.ShutdownAsync()).Counters;
        Assert.Equal((25L, 25L, 25L, 0L), (c.Delivered, c.Spooled, c.Resent, c.LeftInSpool));
        Conservation.AssertBalanced(c);
    }

    [Fact]
    public async Task While_the_endpoint_stays_down_one_probe_at_a_time_goes_and_a_probe_whose_retries_run_out_is_kept_again_in_its_place()
    {
        var endpoint = Endpoint();
        var engine = await OutageAsync(endpoint);

        for (int probe = 1; probe <= 2; probe++)
        {
            _time.Advance(ProbeAfter);
            await Eventually.True(() => engine.GetCounters().Spooled == 25 + 10 * probe, $"probe {probe} runs out of retries and is kept again");
            Assert.Equal(10 * probe, await ResentAfterAPassAsync(engine));
            Assert.Equal(3 + probe, endpoint.AttemptCount);
            Assert.Equal(Range(0, 10), Names(endpoint.Attempts[^1])); // the oldest every time: kept again in its place
            Assert.Equal(25, engine.GetCounters().LeftInSpool);
        }

        _up = true;
        _time.Advance(ProbeAfter);
        await Eventually.True(() => engine.GetCounters().Delivered == 25, "the third probe is delivered and the rest follow");
        var c = (await engine.ShutdownAsync()).Counters;
        Assert.Equal((45L, 45L, 0L), (c.Spooled, c.Resent, c.LeftInSpool));
        Assert.Equal(Range(0, 25), endpoint.Attempts.Where(a => a.Result.Outcome == SendOutcome.Delivered).OrderBy(a => a.Batch.Sequence).SelectMany(Names));
        Conservation.AssertBalanced(c);
    }

    [Fact]
    public async Task A_probe_that_is_neither_delivered_nor_kept_again_lets_the_next_kept_batch_of_its_endpoint_probe_without_anything_else_waking_the_engine()
    {
        // Back up, but the oldest kept batch now fails for good (as one whose record the spool's cap deleted during its send
        // expires): it settles without a delivery and is not kept again. Nothing else is tracked, flushed or delivered.
        var endpoint = new ScriptedTransport(a => !_up ? SendResult.Retry("503 Service Unavailable", statusCode: 503)
            : Names(a).Contains("event-0") ? SendResult.Failed("422 Unprocessable Entity", 422) : SendResult.Delivered);
        var engine = await OutageAsync(endpoint);
        _up = true;

        _time.Advance(ProbeAfter);
        await Eventually.True(() => engine.GetCounters().Failed == 10, "the probe fails for good");
        await Eventually.True(() => engine.GetCounters().Delivered == 15, "the next kept batch probes once the first is settled, and its delivery sends the last");

        var c = (await engine.ShutdownAsync()).Counters;
        Assert.Equal((25L, 25L, 0L), (c.Spooled, c.Resent, c.LeftInSpool));
        Conservation.AssertBalanced(c);
    }

    [Fact]
    public async Task A_batch_kept_after_a_bisection_delivered_half_of_it_is_sent_again_without_that_half()
    {
        // A 400 bisects the batch of ten; the endpoint takes the first half, then goes down: the second half runs out of
        // retries and stays in the spool, in the batch's record, which holds all ten.
        var endpoint = new ScriptedTransport(a => _up ? SendResult.Delivered
            : a.Batch.EventCount == 10 ? SendResult.Rejected("400 Bad Request")
            : Names(a).Contains("event-0") ? SendResult.Delivered
            : SendResult.Retry("503 Service Unavailable", statusCode: 503));
        var engine = Engine(endpoint);
        Track(engine, 0, 10);
        await engine.FlushAsync();
        var c = engine.GetCounters();
        Assert.Equal((5L, 5L, 5L, 0L), (c.Delivered, c.Spooled, c.LeftInSpool, c.InFlight));
        var firstIds = MessageIds(endpoint.Attempts.Single(a => Names(a).SequenceEqual(Range(5, 5))));

        // Still down after the longest retry wait: the probe sends that half alone, which runs out again and is kept again, as a half.
        _time.Advance(ProbeAfter);
        await Eventually.True(() => engine.GetCounters() is { Spooled: 10, InFlight: 0 }, "the probe runs out of retries");
        Assert.Equal(2, endpoint.Attempts.Count(a => Names(a).SequenceEqual(Range(5, 5))));
        Assert.Equal((5L, 5L), (engine.GetCounters().Resent, engine.GetCounters().LeftInSpool));

        // Back up: only the half left in the spool goes again, with its messageIds; the delivered half is not sent twice.
        _up = true;
        Track(engine, 100, 5);
        await engine.FlushAsync();
        await Eventually.True(() => engine.GetCounters() is { Delivered: 15, InFlight: 0 }, "the kept half is sent again");

        c = (await engine.ShutdownAsync()).Counters;
        Assert.Equal((15L, 10L, 10L, 0L), (c.Delivered, c.Spooled, c.Resent, c.LeftInSpool));
        var delivered = endpoint.Attempts.Where(a => a.Result.Outcome == SendOutcome.Delivered).SelectMany(Names).ToList();
        Assert.Equal(Range(0, 10).Concat(Range(100, 5)).Order(), delivered.Order());
        var resent = endpoint.Attempts.Last(a => Names(a).Contains("event-5"));
        Assert.Equal(Range(5, 5), Names(resent));
        Assert.Equal(firstIds, MessageIds(resent));
        Assert.Equal(0, (await SpoolInspector.InspectAsync(_directory.Path, _time)).Events); // acknowledged
        Conservation.AssertBalanced(c);
    }

    [Fact]
    public async Task A_batch_whose_halves_both_ran_out_of_retries_after_a_bisection_rejected_one_event_sends_both_again_in_order()
    {
        // Batch of ten: a 400 while event-3 is in it. The halves [0..4] and [5..9] are bisected further around event-3, which
        // is rejected alone; every other part meets a 503 and runs out of retries. Sent again: the parts around it, in order,
        // and never event-3.
        var endpoint = new ScriptedTransport(a => Names(a).Contains("event-3") ? SendResult.Rejected("400 Bad Request")
            : _up ? SendResult.Delivered
            : SendResult.Retry("503 Service Unavailable", statusCode: 503));
        var engine = Engine(endpoint);
        Track(engine, 0, 10);
        await engine.FlushAsync();
        var c = engine.GetCounters();
        Assert.Equal((0L, 1L, 9L, 9L), (c.Delivered, c.RejectedByServer, c.Spooled, c.LeftInSpool));
        int before = endpoint.AttemptCount;

        _up = true;
        Track(engine, 100, 1);
        await engine.FlushAsync();
        await Eventually.True(() => engine.GetCounters() is { Delivered: 10, InFlight: 0 }, "the kept parts are sent again");

        c = (await engine.ShutdownAsync()).Counters;
        Assert.Equal((9L, 9L, 1L, 0L), (c.Resent, c.Spooled, c.RejectedByServer, c.LeftInSpool));
        var again = endpoint.Attempts.Skip(before).Where(a => !Names(a).Contains("event-100")).SelectMany(Names).ToList();
        Assert.Equal(Range(0, 10).Where(n => n != "event-3"), again);
        Conservation.AssertBalanced(c);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Every_event_of_a_batch_bisected_during_an_outage_is_settled_once_when_its_kept_parts_go_again(bool restart)
    {
        // Any batch of one to ten events, any of them invalid (every request holding one is refused with a 400), and the endpoint
        // down (503) for any of the parts the bisection sends, each of which then runs out of retries and is kept. Once the endpoint
        // is back: every valid event was delivered once, every invalid one rejected once and alone, and what was kept went again.
        // With a restart, the engine stops while the kept parts wait, and the next one on the directory sends them: only them,
        // not the events the first delivered or had rejected, which the batch's record also held.
        int run = 0;
        var cases = from n in Gen.Choose(1, 10)
                    from bad in Gen.Choose(0, 1_023)
                    from down in Gen.Choose(0, 1_023)
                    select (n, bad, down);
        var property = Prop.ForAll(Arb.From(cases), c =>
        {
            string directory = Path.Combine(_directory.Path, $"case-{run++}");
            (restart ? RunOutageOverBisectionThenRestart(c.n, c.bad, c.down, directory) : RunOutageOverBisection(c.n, c.bad, c.down, directory)).GetAwaiter().GetResult();
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(30), property);
    }

    /// <summary>
    /// Refuses (400) every request holding an event the bad mask names, and (503) the first request holding each event the down
    /// mask names: a part holding one runs out of retries and is kept, and goes through when sent again, however the resends
    /// and other batches interleave, and whether the kept parts go again as they were cut or in a record of their own.
    /// </summary>
    private static (ScriptedTransport Endpoint, HashSet<string> Bad) OutageOverBisection(int n, int badMask, int downMask)
    {
        var bad = Enumerable.Range(0, n).Where(i => (badMask >> i & 1) == 1).Select(i => $"event-{i}").ToHashSet();
        var down = Enumerable.Range(0, n).Where(i => (downMask >> i & 1) == 1).Select(i => $"event-{i}").ToHashSet();
        var refused = new HashSet<string>();
        var endpoint = new ScriptedTransport(a =>
        {
            var names = Names(a);
            if (names.Any(bad.Contains))
                return SendResult.Rejected("400 Bad Request");
            bool first = false;
            lock (refused)
            {
                foreach (var name in names.Where(down.Contains))
                    first |= refused.Add(name); // every one of them: each is refused once
            }

            return first ? SendResult.Retry("503 Service Unavailable", statusCode: 503) : SendResult.Delivered;
        });
        return (endpoint, bad);
    }

    /// <summary>Every valid event delivered once (and the <paramref name="extra"/> ones), every invalid one rejected once and alone.</summary>
    private static void AssertEachSettledOnce(ScriptedTransport endpoint, int n, HashSet<string> bad, params string[] extra)
    {
        var delivered = endpoint.Attempts.Where(a => a.Result.Outcome == SendOutcome.Delivered).SelectMany(Names).Order().ToList();
        Assert.Equal(Range(0, n).Where(e => !bad.Contains(e)).Concat(extra).Order(), delivered);
        var rejectedAlone = endpoint.Attempts.Where(a => a.Result.Outcome == SendOutcome.Rejected && a.Batch.EventCount == 1).SelectMany(Names).Order();
        Assert.Equal(bad.Order(), rejectedAlone);
    }

    private async Task RunOutageOverBisection(int n, int badMask, int downMask, string directory)
    {
        var (endpoint, bad) = OutageOverBisection(n, badMask, downMask);
        await using var engine = Engine(endpoint, directory: directory);
        Track(engine, 0, n);
        await engine.FlushAsync();

        // A delivery after a part ran out of retries sends the kept parts again: another part's of the same batch, or this one's.
        Track(engine, 100, 1);
        await engine.FlushAsync();
        await Eventually.True(() => engine.GetCounters() is { InFlight: 0 } c && c.Delivered == n - bad.Count + 1, $"n={n}, bad={badMask:b}, down={downMask:b}: the kept parts are sent again");

        var counters = (await engine.ShutdownAsync()).Counters;
        AssertEachSettledOnce(endpoint, n, bad, "event-100");
        Assert.Equal((counters.Spooled, 0L, (long)bad.Count), (counters.Resent, counters.LeftInSpool, counters.RejectedByServer));
        Conservation.AssertBalanced(counters);
        Assert.Equal(0, (await SpoolInspector.InspectAsync(directory, _time)).Events);
    }

    private async Task RunOutageOverBisectionThenRestart(int n, int badMask, int downMask, string directory)
    {
        var (endpoint, bad) = OutageOverBisection(n, badMask, downMask);
        var first = Engine(endpoint, directory: directory);
        Track(first, 0, n);
        await first.FlushAsync();
        var before = (await first.ShutdownAsync()).Counters; // a kept part another part's delivery sent again may be delivered already
        Conservation.AssertBalanced(before);
        Assert.Equal(before.LeftInSpool, (await SpoolInspector.InspectAsync(directory, _time)).Events);

        await using var next = Engine(endpoint, directory: directory);
        await next.FlushAsync(); // waits for the replay too
        await Eventually.True(() => next.GetCounters() is { InFlight: 0 }, $"n={n}, bad={badMask:b}, down={downMask:b}: the replay is settled");
        var after = (await next.ShutdownAsync()).Counters;
        AssertEachSettledOnce(endpoint, n, bad);
        Assert.Equal((before.LeftInSpool, before.LeftInSpool, 0L), (after.Replayed, after.Delivered, after.RejectedByServer));
        Conservation.AssertBalanced(after);
        Assert.Equal(0, (await SpoolInspector.InspectAsync(directory, _time)).Events);
    }

    [Fact]
    public async Task Kept_batches_the_spools_cap_deletes_are_no_longer_counted_as_left_in_it()
    {
        // An outage longer than the retry budget, and more than the spool's cap holds: the oldest kept batches are deleted
        // (counted evicted). What is left in the spool is what it holds, not every event ever kept.
        var endpoint = Endpoint();
        var engine = Engine(endpoint, spoolBytes: 32 * 1024);
        for (int i = 0; i < 600; i += 10)
        {
            Track(engine, i, 10);
            await engine.FlushAsync();
        }

        var status = await SpoolInspector.InspectAsync(_directory.Path, _time);
        var c = engine.GetCounters();
        Assert.True(c.SpoolEvicted > 0, "the cap deleted kept batches");
        Assert.Equal((600L, 0L), (c.Spooled, c.InFlight));
        Assert.Equal(status.Events, c.LeftInSpool);

        // The endpoint is back: what the spool holds goes again (less what the new batch's append evicts), and nothing is left.
        _up = true;
        Track(engine, 1_000, 5);
        await engine.FlushAsync();
        await Eventually.True(() => engine.GetCounters() is { LeftInSpool: 0, InFlight: 0 }, "the kept batches the spool holds are sent again");
        c = (await engine.ShutdownAsync()).Counters;
        Assert.Equal(c.Delivered - 5, c.Resent);
        Assert.InRange(c.Resent, 1, status.Events);
        Assert.Equal(0, (await SpoolInspector.InspectAsync(_directory.Path, _time)).Events);
        Conservation.AssertBalanced(c);
    }

    [Fact]
    public async Task Kept_batches_whose_spool_directory_was_deleted_are_counted_lost_not_left_in_the_spool()
    {
        // The directory goes while the engine runs (an operator, a cleaner): the kept batches are gone. They must not stay
        // counted as waiting in the spool, nor be reported as 'staying on disk for the next start'.
        var endpoint = Endpoint();
        var engine = await OutageAsync(endpoint);
        Directory.Delete(_directory.Path, recursive: true);

        _up = true;
        Track(engine, 100, 5);
        await engine.FlushAsync();
        await Eventually.True(() => engine.GetCounters() is { LeftInSpool: 0, InFlight: 0 }, "the deleted kept batches are no longer counted as left in the spool");

        var c = (await engine.ShutdownAsync()).Counters;
        Assert.Equal((5L, 0L, 25L), (c.Delivered, c.Resent, c.Spooled));
        Assert.InRange(c.SpoolEvicted, 25, 30); // the new batch too, if it was not yet acknowledged when the loss was found
        Assert.Contains(DiagnosticsOf(DiagnosticKind.SpoolEvicted), d => d.Message.Contains("was deleted by something other than this spool", StringComparison.Ordinal));
        Assert.DoesNotContain(_diagnostics, d => d.Message.Contains("stay on disk for the next start", StringComparison.Ordinal));
        Conservation.AssertBalanced(c);
    }

    [Fact]
    public async Task Kept_batches_whose_segment_file_was_deleted_just_before_the_shutdown_are_counted_lost_in_its_result()
    {
        // No sync tick between the deletion and the shutdown: the spool's last look for deleted files, as it closes, finds it,
        // and the result must say so, not report them as waiting in the spool.
        var endpoint = Endpoint();
        var engine = await OutageAsync(endpoint);
        DeleteSegmentFiles();

        var result = await engine.ShutdownAsync();

        var c = result.Counters;
        Assert.Equal((25L, 25L, 0L), (c.Spooled, c.SpoolEvicted, c.LeftInSpool));
        Assert.Contains(DiagnosticsOf(DiagnosticKind.SpoolEvicted), d => d.Message.Contains("was deleted by something other than this spool", StringComparison.Ordinal));
        Conservation.AssertBalanced(c);
    }

    [Fact]
    public async Task Batches_left_in_the_spool_at_the_shutdown_deadline_whose_segment_file_was_deleted_are_counted_lost_not_left_in_it()
    {
        // Not kept after their retries ran out, but in flight when the drain is ended: counted spooled, then found lost as the
        // spool closes. LeftInSpool is Spooled - Resent - what the spool lost of them.
        int holding = 0;
        var transport = new HoldingTransport(Endpoint(), _ => true, () => Interlocked.Increment(ref holding), new TaskCompletionSource().Task);
        var engine = Engine(transport);
        Track(engine, 0, 15);
        _ = engine.FlushAsync();
        await Eventually.True(() => Volatile.Read(ref holding) == 2, "both batches are being sent");
        DeleteSegmentFiles();

        var result = await engine.ShutdownAsync(new CancellationToken(canceled: true)).WaitAsync(TimeSpan.FromSeconds(30));

        var c = result.Counters;
        Assert.Equal((15L, 15L, 0L, 0L), (c.Spooled, c.SpoolEvicted, c.LeftInSpool, c.Resent));
        Conservation.AssertBalanced(c);
    }

    private void DeleteSegmentFiles()
    {
        foreach (long id in SpoolDirectory.List(_directory.Path, SpoolDirectory.SegmentExtension))
            File.Delete(SpoolDirectory.SegmentPath(_directory.Path, id));
    }

    [Fact]
    public async Task Kept_batches_not_sent_again_by_the_shutdown_stay_in_the_spool_counted_once_and_the_next_engine_sends_them()
    {
        var endpoint = Endpoint();
        var engine = await OutageAsync(endpoint);
        var result = await engine.ShutdownAsync();
        Assert.Equal((25L, 0L, 25L), (result.Spooled, result.Counters.Resent, result.Counters.LeftInSpool));
        Conservation.AssertBalanced(result.Counters);

        _up = true;
        var next = Endpoint();
        await using var second = Engine(next);
        await second.FlushAsync(); // waits for the replay too
        var replayed = await second.ShutdownAsync();
        Assert.Equal((25L, 25L, 0L), (replayed.Counters.Replayed, replayed.Counters.Delivered, replayed.Counters.Resent));
        Assert.Equal(Range(0, 25), next.Attempts.OrderBy(a => a.Batch.Sequence).SelectMany(Names)); // replayed in the order they were sealed
    }

    [Fact]
    public async Task Kept_batches_being_sent_again_when_the_shutdown_deadline_passes_stay_in_the_spool_and_the_counters_add_up_before_and_after()
    {
        // Back up: a new batch is delivered, and the three kept batches go again, but the server holds them past the deadline.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int holding = 0;
        var endpoint = new ScriptedTransport(_ => _up ? SendResult.Delivered : SendResult.Retry("503 Service Unavailable", statusCode: 503));
        var transport = new HoldingTransport(endpoint, batch => batch.Sequence > 3, () => Interlocked.Increment(ref holding), held.Task);
        var engine = Engine(transport);
        Track(engine, 0, 25);
        await engine.FlushAsync();
        _up = true;
        Track(engine, 100, 5);
        await engine.FlushAsync(); // batch 3, delivered; the kept ones (0-2) go again as 4-6
        await Eventually.True(() => Volatile.Read(ref holding) == 2 && engine.GetCounters().Resent == 25, "two kept batches are being sent again (two senders), the third is queued");

        var c = engine.GetCounters();
        Assert.Equal((30L, 5L, 25L, 25L, 0L, 25L), (c.Accepted, c.Delivered, c.Spooled, c.Resent, c.LeftInSpool, c.InFlight));

        var shutdown = engine.ShutdownAsync();
        await Eventually.True(() => _time.PendingDelays.Contains(TimeSpan.FromSeconds(10)), "the shutdown deadline is armed");
        _time.Advance(TimeSpan.FromSeconds(10));
        var result = await shutdown.WaitAsync(TimeSpan.FromSeconds(30));

        c = result.Counters;
        Assert.Equal((50L, 25L, 25L, 0L, 0L), (c.Spooled, c.Resent, c.LeftInSpool, c.OutcomeUnknown, c.LostAtShutdown));
        Conservation.AssertBalanced(c);
        var status = await SpoolInspector.InspectAsync(_directory.Path, _time);
        Assert.Equal((3L, 25L), (status.Batches, status.Events));

        var next = Endpoint();
        await using var second = Engine(next);
        await second.FlushAsync();
        Assert.Equal((25L, 25L), (second.GetCounters().Replayed, second.GetCounters().Delivered));
        Assert.Equal(Range(0, 25), next.Attempts.OrderBy(a => a.Batch.Sequence).SelectMany(Names));
    }

    /// <summary>Holds the sends <c>hold</c> picks until <c>release</c> completes or the send is cancelled; the rest go to <c>inner</c> at once.</summary>
    private sealed class HoldingTransport(ScriptedTransport inner, Func<Batch, bool> hold, Action onHeld, Task release) : IBatchTransport
    {
        public async ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
        {
            if (hold(batch))
            {
                onHeld();
                await release.WaitAsync(cancellationToken);
            }

            return await inner.SendAsync(batch, cancellationToken);
        }
    }
}
