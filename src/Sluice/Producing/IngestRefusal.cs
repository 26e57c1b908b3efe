namespace Sluice.Producing;

/// <summary>Why an NDJSON line given to <see cref="SluiceEngine.IngestAsync(System.IO.Pipelines.PipeReader, Action{IngestError}?, long, CancellationToken)"/> was not accepted.</summary>
public enum IngestRefusal
{
    /// <summary>The line is not one valid event (bad JSON, a missing or ill-typed field); the message says which.</summary>
    Invalid,

    /// <summary>The line is longer than <see cref="SluiceOptions.MaxBatchBytes"/>: no batch could hold it. It was skipped unread.</summary>
    Oversize,

    /// <summary>The queue was full (<see cref="FullMode.DropNewest"/>, or <see cref="FullMode.Wait"/> when another caller took the room).</summary>
    QueueFull,

    /// <summary>The engine is shutting down; reading stops at this line.</summary>
    ShuttingDown,
}
