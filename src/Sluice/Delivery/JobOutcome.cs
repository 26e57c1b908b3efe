namespace Sluice.Delivery;

/// <summary>Where <see cref="DeliveryPolicy.RunAsync"/> left a job.</summary>
internal enum JobOutcome
{
    /// <summary>Every event of the batch is settled.</summary>
    Finished,

    /// <summary>Settled at the shutdown deadline before it passed: the next attempt could not have come before it (<see cref="ShutdownDeadline"/>).</summary>
    WrittenOff,

    /// <summary>The endpoint refused the credentials; the job waits, unchanged, for its endpoint to resume.</summary>
    Unauthorized,
}
