using System.Collections.Concurrent;
using Sluice.Collector;
using Sluice.Delivery.Transports.Http;
using Sluice.Diagnostics;
using Sluice.Producing;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery.EndToEnd;

/// <summary>
/// The engine with an <see cref="HttpTransport"/> posting to a <see cref="ReferenceCollector"/> on
/// 127.0.0.1, with short backoffs so fault scenarios take seconds. Real time, real sockets.
/// </summary>
internal sealed class HttpRun : IAsyncDisposable
{
    private const string Blob = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ";

    private HttpRun(WireCase wire, ReferenceCollector collector, Action<SluiceOptions>? configure, Action<HttpTransportOptions>? http)
    {
        Wire = wire;
        Collector = collector;
        var transportOptions = new HttpTransportOptions
        {
            BaseAddress = collector.BaseAddress,
            Authentication = wire.Authentication(collector.Credentials),
            RequestTimeout = TimeSpan.FromSeconds(10),
        };
        http?.Invoke(transportOptions);
        Transport = new HttpTransport(transportOptions);
        var options = new SluiceOptions
        {
            WireFormat = wire.Format(collector.Credentials),
            FullMode = FullMode.Wait,
            FullModeWaitTimeout = TimeSpan.FromMinutes(1),
            FlushInterval = TimeSpan.FromMilliseconds(50),
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            RetryMaxDelay = TimeSpan.FromMilliseconds(100),
            MaxSendAttempts = 50,
            UnauthorizedProbeInterval = TimeSpan.FromMilliseconds(50),
            ShutdownTimeout = TimeSpan.FromSeconds(30),
            OnDiagnostic = Diagnostics.Enqueue,
        };
        configure?.Invoke(options);
        Engine = new SluiceEngine(options, Transport);
    }

    public WireCase Wire { get; }

    public ReferenceCollector Collector { get; }

    public HttpTransport Transport { get; }

    public SluiceEngine Engine { get; }

    public ConcurrentQueue<DiagnosticEvent> Diagnostics { get; } = new();

    public int Produced { get; private set; }

    /// <summary>The <c>properties.seq</c> of each accepted event, by the sequence number its call returned.</summary>
    public Dictionary<long, int> SeqBySequence { get; } = [];

    /// <summary>Where <see cref="FinishAsync"/> writes its summary (the test's output).</summary>
    public Action<string>? Log { get; set; }

    public static async Task<HttpRun> StartAsync(WireCase wire, Action<SluiceOptions>? configure = null, Action<HttpTransportOptions>? http = null,
        CollectorOptions? collectorOptions = null, Action<string>? log = null)
    {
        var collector = await ReferenceCollector.StartAsync(options: collectorOptions);
        return new HttpRun(wire, collector, configure, http) { Log = log };
    }

    public IEnumerable<DiagnosticEvent> Of(DiagnosticKind kind) => Diagnostics.Where(d => d.Kind == kind);

    /// <summary>
    /// Offers <paramref name="count"/> standard events (every fifth a page for a session), numbered from
    /// <see cref="Produced"/> in <c>properties.seq</c>; every <paramref name="largeEvery"/>-th carries about
    /// <paramref name="largeBytes"/> more; <paramref name="poison"/> marks the events the collector is to reject.
    /// </summary>
    public void Produce(int count, int largeEvery = 0, int largeBytes = 3_000, Func<int, bool>? poison = null, bool tracksOnly = false)
    {
        for (int n = 0; n < count; n++)
        {
            int seq = Produced++;
            var props = new Dictionary<string, object?>
            {
                ["seq"] = seq,
                ["plan"] = (seq & 1) == 0 ? "pro" : "free",
                ["seats"] = 5 + (seq % 50),
                ["trial"] = seq % 3 == 0,
                ["duration_ms"] = 12.5 + (seq % 100),
            };
            if (largeEvery > 0 && seq % largeEvery == largeEvery - 1)
                props["blob"] = string.Concat(Enumerable.Repeat(Blob, (largeBytes / Blob.Length) + 1));
            if (poison?.Invoke(seq) == true)
                props["marker"] = "POISON";

            var result = !tracksOnly && seq % 5 == 4
                ? Engine.Page(null, $"session-{seq % 50}", props, new Dictionary<string, object?> { ["os"] = "linux" }, name: "Home")
                : Engine.Track($"user-{seq % 97}", "feature_used", props, new Dictionary<string, object?> { ["group_id"] = "g-42" });
            Assert.Equal(EnqueueStatus.Accepted, result);
            SeqBySequence.Add(result.Sequence, seq);
        }
    }

    /// <summary>Flushes, shuts down, and checks what every run must hold: counters balanced, every request within the limits.</summary>
    public async Task<ShutdownResult> FinishAsync()
    {
        await Engine.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var result = await Engine.ShutdownAsync();
        var c = result.Counters;
        var statuses = Wire.Apis.SelectMany(api => Collector.Received(api).Requests).GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}");
        Log?.Invoke($"{Wire.Name}: accepted {c.Accepted}, delivered {c.Delivered} in {c.BatchesDelivered} requests, rejected by server {c.RejectedByServer}, " +
            $"expired {c.Expired}, failed {c.Failed}, outcome unknown {c.OutcomeUnknown}, lost {c.LostAtShutdown}, retries {c.Retries}; collector answers {string.Join(" ", statuses)}");
        Conservation.AssertBalanced(result.Counters);
        Assert.Equal(Produced, result.Counters.Accepted);
        foreach (var api in Wire.Apis)
        {
            var record = Collector.Received(api);
            Assert.InRange(record.MaxEventsPerRequest, 0, Engine.Options.MaxBatchEvents);
            Assert.InRange(record.MaxBytesPerRequest, 0, Engine.Options.MaxBatchBytes);
            Assert.DoesNotContain(record.Requests, r => r.Status == 500 && r.Message.StartsWith("Internal Server Error", StringComparison.Ordinal));
        }

        return result;
    }

    /// <summary>The seq of every event the collector kept, over all the format's APIs (a redelivery of a message id is not kept).</summary>
    public List<int> ReceivedSeqs() => Wire.Apis.SelectMany(api => Collector.Received(api).Events).Select(WireCase.SeqOf).ToList();

    /// <summary>Every expected event arrived, none more than once unless <paramref name="redeliveriesAllowed"/> says so.</summary>
    public async Task AssertArrivedOnce(IEnumerable<int> expected, int redeliveriesAllowed = 0)
    {
        // The collector records a request just after answering it: the last one may land a moment after the engine saw the answer.
        var expectedSet = expected.ToHashSet();
        // If they never come, the checks below say what is missing.
        for (long deadline = Environment.TickCount64 + 5_000; Environment.TickCount64 < deadline && ReceivedSeqs().Distinct().Count() < expectedSet.Count;)
            await Task.Delay(1);
        var counts = ReceivedSeqs().GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        var missing = expectedSet.Where(s => !counts.ContainsKey(s)).Take(10).ToList();
        Assert.True(missing.Count == 0, $"Events never arrived: {string.Join(", ", missing)}…");
        var unexpected = counts.Keys.Where(s => !expectedSet.Contains(s)).Take(10).ToList();
        Assert.True(unexpected.Count == 0, $"Events arrived that should not have: {string.Join(", ", unexpected)}");
        int redelivered = counts.Values.Sum(c => c - 1);
        Assert.InRange(redelivered, 0, redeliveriesAllowed);
    }

    public int CountStatus(int status) => Wire.Apis.Sum(api => Collector.Received(api).CountStatus(status));

    public async ValueTask DisposeAsync()
    {
        var disposed = Engine.DisposeAsync().AsTask();
        if (Engine.Options.TimeProvider is ManualTimeProvider clock)
        {
            // A test that failed before the engine settled leaves it waiting on a clock nobody moves (a retry, the shutdown
            // deadline): move it, so that the failure is reported rather than the run hanging. A run that finished is disposed at once.
            for (int i = 0; i < 100 && !disposed.IsCompleted; i++)
            {
                clock.Advance(TimeSpan.FromMinutes(1));
                await Task.WhenAny(disposed, Task.Delay(100));
            }
        }

        await disposed;
        Transport.Dispose();
        await Collector.DisposeAsync();
    }
}
