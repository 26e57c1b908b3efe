namespace Sluice.Delivery;

/// <summary>Where <see cref="DeliveryPolicy.RunAsync"/> left a job.</summary>
internal enum JobOutcome
{
    /// <summary>Every event of the batch is settled.</summary>
    Finished,

    /// <summary>The endpoint refused the credentials; the job waits, unchanged, for its endpoint to resume.</summary>
    Unauthorized,
}
