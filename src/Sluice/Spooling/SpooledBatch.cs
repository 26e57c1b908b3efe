namespace Sluice.Spooling;

/// <summary>A batch read back by <see cref="SpoolReplay"/>.</summary>
/// <param name="Ticket">Acknowledge it with this once its events reach a final state.</param>
/// <param name="Partition">The wire format's partition it was sealed for.</param>
/// <param name="AppendedAt">When it was written to the spool.</param>
/// <param name="BodyLength">The body's length in bytes.</param>
internal readonly record struct SpooledBatch(SpoolTicket Ticket, int Partition, DateTimeOffset AppendedAt, int BodyLength)
{
    /// <summary>The batch's events.</summary>
    public int EventCount => Ticket.EventCount;
}
