using System.Buffers;
using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Diagnostics;
using Sluice.Spooling;

namespace Sluice;

// The serializer's side of the disk spool: opening it, replaying what an earlier run left, and, at shutdown, writing
// everything still queued to it at once.
public sealed partial class SluiceEngine
{
    // Serializer only: batches sealed and written to the spool by SpoolAhead, waiting to be handed to the senders first.
    private readonly Queue<Batch> _spooledAhead = new();

    /// <summary>
    /// Opens the spool and reads it back (torn tails truncated, damage counted). The constructor is synchronous, so it
    /// waits for that here, on the pool: a caller's synchronization context is never captured.
    /// </summary>
    private DiskSpool OpenSpool(SpoolOptions spool)
    {
        string identity = SpoolFormatIdentity.Of(_format);
        return Task.Run(() => DiskSpool.OpenAsync(spool, identity, _time, OnSpoolDiagnostic, _options.SpoolFileIO).AsTask()).GetAwaiter().GetResult();
    }

    /// <summary>
    /// The serializer, before anything else: hands the batches an earlier run left in the spool to the senders, oldest
    /// first, their bodies as written (send-time fields are stamped at each send), one at a time through the bounded
    /// queue, so memory does not grow with the spool. What is not read when shutdown begins stays in the spool.
    /// </summary>
    private async Task ReplayAsync(SpoolJournal spool)
    {
        var recovery = spool.Disk.Recovery;
        if (recovery.Batches == 0)
            return;
        Diagnose(new DiagnosticEvent(DiagnosticKind.SpoolReplayed,
            $"The spool in '{spool.Disk.DirectoryPath}' holds {recovery.Batches:N0} batch(es) ({recovery.Events:N0} events) left by an earlier run: they are sent first, as written " +
            "(the same message ids; a batch sent but not acknowledged before that run ended may arrive twice).", (int)Math.Min(recovery.Events, int.MaxValue)));
        try
        {
            var replay = spool.Disk.OpenReplay();
            await using var _ = replay.ConfigureAwait(false);
            while (Volatile.Read(ref _shutdown) is null && await replay.MoveNextAsync(_abort.Token).ConfigureAwait(false))
            {
                var spooled = replay.Current;
                int[] ends = ArrayPool<int>.Shared.Rent(spooled.EventCount);
                replay.CopyEventEndsTo(ends);
                var body = _assembler.Memory.GetStream(tag: null, requiredSize: spooled.BodyLength);
                replay.CopyBodyTo(body);
                var batch = _assembler.Adopt(spooled.Partition, spooled.EventCount, ends, body);
                batch.SpoolTicket = spooled.Ticket;
                batch.SpoolDurable = true;
                Volatile.Write(ref _counters.Replayed, _counters.Replayed + spooled.EventCount);
                Volatile.Write(ref _counters.BatchesReplayed, _counters.BatchesReplayed + 1);
                await HandOverAsync(batch).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // The shutdown deadline passed: what was not read stays in the spool.
        }
        catch (Exception ex)
        {
            Diagnose(new DiagnosticEvent(DiagnosticKind.InternalError, $"Reading the spool back failed; what was not read stays in it for the next start: {ex.Message}", 0, ex));
        }
    }

    /// <summary>What the spool finds and does, as the engine's diagnostics.</summary>
    private void OnSpoolDiagnostic(SpoolDiagnostic diagnostic)
    {
        var kind = diagnostic.Kind switch
        {
            SpoolDiagnosticKind.CorruptRecord or SpoolDiagnosticKind.TornTail => DiagnosticKind.SpoolDamaged,
            SpoolDiagnosticKind.Evicted => DiagnosticKind.SpoolEvicted,
            SpoolDiagnosticKind.WritesSuspended => DiagnosticKind.SpoolSuspended,
            SpoolDiagnosticKind.WritesResumed => DiagnosticKind.SpoolResumed,
            _ => DiagnosticKind.SpoolFileFailed,
        };
        Diagnose(new DiagnosticEvent(kind, diagnostic.Message, (int)Math.Min(diagnostic.Events, int.MaxValue), diagnostic.Exception));
    }

    /// <summary>Serializer: hands a batch to the senders, waiting for room in the sealed queue (see <see cref="RoomOrSpoolAheadAsync"/>).</summary>
    private async ValueTask HandOverAsync(Batch batch)
    {
        await RoomOrSpoolAheadAsync().ConfigureAwait(false);
        await _delivery.EnqueueAsync(batch).ConfigureAwait(false);
    }

    /// <summary>
    /// Serializer, before handing a batch over: with a spool, waits for room in the sealed queue only until shutdown begins.
    /// Then the senders may be held up for as long as the deadline allows (an outage, a slow endpoint), and what is still
    /// queued would be lost at it; so everything queued is written to the spool first (<see cref="SpoolAhead"/>), and what
    /// the senders do not deliver by the deadline stays there instead.
    /// </summary>
    private async ValueTask RoomOrSpoolAheadAsync()
    {
        if (_shutdownBegun is not { } begun)
            return;
        if (!begun.IsCancellationRequested)
        {
            try
            {
                await _delivery.WaitForRoomAsync(begun.Token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (begun.IsCancellationRequested)
            {
                // Shutdown began while the senders had no room.
            }
        }

        SpoolAhead(_spool!);
    }

    /// <summary>
    /// Shutting down: serializes every record still queued, seals every open batch and writes each sealed batch to the spool,
    /// keeping them in order for the senders. Memory: the batches of what the event queue held, which its capacity bounds.
    /// </summary>
    private void SpoolAhead(SpoolJournal spool)
    {
        Drain(int.MaxValue, stopAtSeal: false);
        _assembler.SealAll();
        while (_assembler.TryTakeSealed(out var batch))
        {
            spool.Append(batch); // not spooled (disk trouble, reported): it goes from memory
            _spooledAhead.Enqueue(batch);
        }
    }
}
