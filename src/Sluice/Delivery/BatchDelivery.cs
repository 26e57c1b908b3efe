using System.Threading.Channels;
using Sluice.Batching;
using Sluice.Diagnostics;

namespace Sluice.Delivery;

/// <summary>
/// The sealed-batch queue and the senders that serve it. The queue is bounded (twice the senders),
/// so a slow transport pushes back on the serializer, and through it on the event queue, whose
/// full mode then applies. Every batch is settled exactly once and its memory returned.
/// </summary>
internal sealed class BatchDelivery
{
    private readonly Channel<Batch> _queue;
    private readonly IBatchTransport _transport;
    private readonly EngineCounters _counters;
    private readonly TimeProvider _time;
    private readonly Action<DiagnosticEvent> _diagnose;
    private readonly CancellationToken _abort;
    private readonly Batch?[] _inFlight; // slot i written by sender i; read at a forced shutdown
    private readonly Task[] _senders;

    public BatchDelivery(int senders, IBatchTransport transport, EngineCounters counters, TimeProvider time,
        Action<DiagnosticEvent> diagnose, CancellationToken abort)
    {
        _queue = Channel.CreateBounded<Batch>(new BoundedChannelOptions(senders * 2)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _transport = transport;
        _counters = counters;
        _time = time;
        _diagnose = diagnose;
        _abort = abort;
        _inFlight = new Batch?[senders];
        _senders = new Task[senders];
        for (int i = 0; i < senders; i++)
        {
            int slot = i;
            _senders[i] = Task.Run(() => SendLoopAsync(slot), CancellationToken.None);
        }
    }

    public DeliveryTracker Tracker { get; } = new();

    public Task Completion => Task.WhenAll(_senders);

    /// <summary>Serializer: hands a sealed batch over, waiting for room (the backpressure point).</summary>
    public ValueTask EnqueueAsync(Batch batch)
    {
        if (!_abort.IsCancellationRequested && _queue.Writer.TryWrite(batch))
            return default;
        return EnqueueSlowAsync(batch);
    }

    /// <summary>No more batches will come.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>At a forced shutdown: settles what senders still hold as lost (a transport ignoring cancellation).</summary>
    public void AbandonInFlight()
    {
        for (int i = 0; i < _inFlight.Length; i++)
        {
            if (Volatile.Read(ref _inFlight[i]) is { } batch)
                Settle(batch, Terminal.Lost, message: null, release: false);
        }
    }

    private async ValueTask EnqueueSlowAsync(Batch batch)
    {
        try
        {
            if (!_abort.IsCancellationRequested)
            {
                await _queue.Writer.WriteAsync(batch, _abort).ConfigureAwait(false);
                return;
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // Fall through: the deadline passed while waiting for room.
        }

        Settle(batch, Terminal.Lost, message: null, release: true);
    }

    private async Task SendLoopAsync(int slot)
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var batch))
                await DeliverAsync(batch, slot).ConfigureAwait(false);
        }
    }

    private async ValueTask DeliverAsync(Batch batch, int slot)
    {
        if (_abort.IsCancellationRequested)
        {
            Settle(batch, Terminal.Lost, message: null, release: true);
            return;
        }

        Volatile.Write(ref _inFlight[slot], batch);
        SendResult result;
        try
        {
            batch.StampForSend(_time.GetUtcNow());
            result = await _transport.SendAsync(batch, _abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            result = default;
            Volatile.Write(ref _inFlight[slot], null);
            Settle(batch, Terminal.Lost, message: null, release: true);
            return;
        }
        catch (Exception ex)
        {
            _diagnose(new DiagnosticEvent(DiagnosticKind.SendFailed, $"Transport threw while sending batch {batch.Sequence}: {ex.Message}", batch.EventCount, ex));
            result = SendResult.Retry(ex.Message);
        }

        Volatile.Write(ref _inFlight[slot], null);
        if (result.Outcome == SendOutcome.Delivered)
        {
            Settle(batch, Terminal.Delivered, message: null, release: true);
        }
        else
        {
            Settle(batch, Terminal.Failed, $"{result.Outcome}{(result.StatusCode != 0 ? $" ({result.StatusCode})" : "")}: {result.Message}", release: true);
        }
    }

    private void Settle(Batch batch, Terminal terminal, string? message, bool release)
    {
        if (batch.TrySettle())
        {
            int n = batch.EventCount;
            switch (terminal)
            {
                case Terminal.Delivered:
                    Interlocked.Add(ref _counters.Delivered, n);
                    Interlocked.Increment(ref _counters.BatchesDelivered);
                    break;
                case Terminal.Failed:
                    Interlocked.Add(ref _counters.Failed, n);
                    _diagnose(new DiagnosticEvent(DiagnosticKind.BatchFailed, $"Batch {batch.Sequence} to {batch.EndpointPath} failed: {message}", n));
                    break;
                case Terminal.Lost:
                    Interlocked.Add(ref _counters.LostAtShutdown, n);
                    _diagnose(new DiagnosticEvent(DiagnosticKind.ShutdownLoss, $"Batch {batch.Sequence} ({n} events) was not delivered before the shutdown deadline.", n));
                    break;
            }

            Tracker.Finish(batch.Sequence);
        }

        if (release)
            batch.Release();
    }

    private enum Terminal
    {
        Delivered,
        Failed,
        Lost,
    }
}
