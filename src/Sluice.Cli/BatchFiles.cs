using Sluice.Batching;
using Sluice.Delivery;
using Sluice.Delivery.Transports;

namespace Sluice.Cli;

/// <summary>
/// The batch files of <c>send</c> without <c>--endpoint</c>: the file transport, except that a batch file that cannot be
/// written (the directory removed or made read-only, the disk full) fails its batch at once and tells the send to stop
/// (<see cref="WriteFailed"/>). Retried as a server that may come back is, each batch waited out --retry-budget (2 minutes)
/// and every later one failed the same way: hours of messages for a large input.
/// </summary>
internal sealed class BatchFiles(string directory) : IBatchTransport
{
    private readonly FileTransport _files = new(directory);

    /// <summary>Completes with the reason at the first batch file that cannot be written.</summary>
    public TaskCompletionSource<string> WriteFailed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask<SendResult> SendAsync(Batch batch, CancellationToken cancellationToken)
    {
        try
        {
            return await _files.SendAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // UnauthorizedAccessException: the runtime's word for EACCES, EPERM and EISDIR alike; its message names the path.
            WriteFailed.TrySetResult(ex.Message);
            return SendResult.Failed($"the batch file {Path.GetFileName(_files.PathFor(batch))} cannot be written: {ex.Message}");
        }
    }
}
