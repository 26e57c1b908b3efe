using System.Collections.Concurrent;
using Sluice.Delivery.Transports;
using Sluice.Diagnostics;
using Sluice.Serialization;
using Sluice.Tests.Support;

namespace Sluice.Tests.Delivery;

/// <summary>A wire format whose <see cref="WireFormat.StampBeforeSend"/> throws: its own failure, not the transport's.</summary>
public class FormatStampTests
{
    [Fact]
    public async Task A_format_throwing_in_StampBeforeSend_fails_the_batch_unsent_and_says_so_not_a_transport_failure_to_retry()
    {
        // Found: the exception was taken for the transport's ("the transport threw …"), retried as transient with every
        // attempt throwing again, then expired as if an attempt might have reached the server, though none was sent.
        var diagnostics = new ConcurrentQueue<DiagnosticEvent>();
        var fates = new ConcurrentDictionary<long, EventOutcome>();
        var transport = new InMemoryTransport();
        await using var engine = new SluiceEngine(new SluiceOptions
        {
            WireFormat = new ThrowingStampFormat(),
            MaxSendAttempts = 1,
            OnDiagnostic = diagnostics.Enqueue,
            OnBatchSettled = (in SettledEvents s) =>
            {
                for (int i = 0; i < s.Count; i++)
                    fates[s.Sequences[i]] = s.Outcomes[i];
            },
        }, transport);

        var accepted = engine.Track("u", "signed_up");
        await engine.FlushAsync();

        var counters = engine.GetCounters();
        Assert.Equal(1, counters.Failed);
        Assert.Equal(0, counters.Expired);
        Assert.Equal(0, counters.Retries);
        Assert.Equal(0, counters.InFlight);
        Assert.Empty(transport.Batches);
        Assert.Equal(EventOutcome.Failed, fates[accepted.Sequence]);
        var stamp = Assert.Single(diagnostics, d => d.Exception is InvalidOperationException { Message: "no clock" });
        Assert.Contains("StampBeforeSend threw", stamp.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(diagnostics, d => d.Message.Contains("transport threw", StringComparison.Ordinal));
    }

    private sealed class ThrowingStampFormat() : WrappedFormat(ThriveStackFormat.Instance)
    {
        public override void StampBeforeSend(int partition, Span<byte> suffix, DateTimeOffset now) => throw new InvalidOperationException("no clock");
    }
}
