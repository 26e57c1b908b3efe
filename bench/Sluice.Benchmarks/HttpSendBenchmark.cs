using System.Globalization;
using BenchmarkDotNet.Attributes;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Delivery.Transports.Http;
using Sluice.Tests.Support;

namespace Sluice.Benchmarks;

/// <summary>
/// One request of <see cref="HttpTransport"/>: a sealed batch posted to the receiver in another process
/// (<see cref="ReceiverProcess"/>), plain and gzip-compressed. BenchmarkDotNet's "Allocated" is process-wide, so it is
/// what a request costs the sending process (the client's connection handling included), and none of the receiver's.
/// Bodies of 200 events (about 60 KB: one pooled block) and 1,000 events (about 300 KB).
/// </summary>
public class HttpSendBenchmark
{
    private ReceiverProcess _receiver = null!;
    private HttpTransport _plain = null!;
    private HttpTransport _gzip = null!;
    private Batch _batch = null!;

    [Params(200, 1_000)]
    public int Events { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _receiver = ReceiverProcess.Start();
        _plain = new HttpTransport(new HttpTransportOptions { BaseAddress = _receiver.BaseAddress });
        _gzip = new HttpTransport(new HttpTransportOptions { BaseAddress = _receiver.BaseAddress, Gzip = true });
        // Varied enough that gzip has work to do, as real events give it: ids, times and numbers differ from event to event.
        string[] events = [.. Enumerable.Range(0, Events).Select(Event)];
        _batch = TestBatches.Seal(TestBatches.Memory(), events);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _gzip.Dispose();
        _receiver.Dispose();
    }

    [Benchmark(Baseline = true)]
    public SendOutcome Plain() => Send(_plain);

    [Benchmark]
    public SendOutcome Gzip() => Send(_gzip);

    /// <summary>An event about 300 bytes long whose ids, times and numbers differ from the next one's, as real events do.</summary>
    private static string Event(int i) => string.Create(CultureInfo.InvariantCulture,
        $"{{\"user_id\":\"user-{i * 7919 % 100_003}\",\"event_name\":\"feature_used\",\"properties\":{{\"plan\":\"pro\",\"seats\":{5 + (i % 50)}," +
        $"\"duration_ms\":{1000.5 + (i % 1000)},\"feature\":\"export-{i % 17}\",\"trial\":{((i & 1) == 0 ? "true" : "false")}}}," +
        $"\"timestamp\":\"2026-12-07T23:{i % 60:00}:{i * 13 % 60:00}.{i % 1000:000}Z\",\"context\":{{\"group_id\":\"acme-{i % 97}\"}}}}");

    private SendOutcome Send(HttpTransport transport)
    {
        var result = transport.SendAsync(_batch, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        return result.Outcome == SendOutcome.Delivered ? result.Outcome : throw new InvalidOperationException($"Not delivered: {result.Message}");
    }
}
