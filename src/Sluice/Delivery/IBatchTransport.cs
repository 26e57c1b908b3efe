using Sluice.Batching;

namespace Sluice.Delivery;

/// <summary>
/// Delivers sealed batches somewhere (HTTP, files, memory, your own code).
/// <para>Contract:</para>
/// <list type="bullet">
/// <item><see cref="SendAsync"/> is called up to <see cref="SluiceOptions.MaxConcurrentSends"/> times at once (the senders and a paused endpoint's probe together), so implementations must be thread-safe.</item>
/// <item>The batch's body lives in pooled memory that is reused once the returned task completes: copy it if you need it later.
/// Reading <see cref="Batch.Body"/> after that throws <see cref="ObjectDisposedException"/>; a sequence or segment taken from it earlier is not checked, and then shows other batches' bytes.</item>
/// <item>After a 400 or a 413 the engine sends parts of a batch as batches of their own (same <see cref="Batch.Sequence"/>); a transport treats them like any batch.</item>
/// <item>Classify the attempt in the returned <see cref="SendResult"/>: the engine retries, splits, bisects or pauses the endpoint accordingly. Exceptions may propagate: the engine counts them, reports
/// them to diagnostics and treats them as a transient failure. Never swallow an error and report success.</item>
/// <item>Honour the cancellation token: it fires when the shutdown deadline passes, and the events of the batch being sent are then
/// counted as of unknown outcome (<c>OutcomeUnknown</c>: the receiver may have them), not as lost, whatever exception ends the send, or a
/// <see cref="SendOutcome.Retry"/> that does not say what happened (<see cref="SendResult.Failure"/> <see cref="SendFailure.None"/>).</item>
/// </list>
/// </summary>
public interface IBatchTransport
{
    /// <summary>Sends one batch.</summary>
    ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken);
}
