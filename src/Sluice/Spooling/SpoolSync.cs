namespace Sluice.Spooling;

/// <summary>When the spool asks the operating system to put what it wrote on the device (fsync).</summary>
public enum SpoolSync
{
    /// <summary>
    /// Every sealed batch is on the device before it is sent: the serializer appends each batch it seals,
    /// and a sender syncs before a batch's first send unless an earlier sync covered it, so one fsync
    /// covers every batch appended before it. A power cut loses no batch that was sent.
    /// Acknowledgements are synced every <see cref="SpoolOptions.SyncInterval"/>.
    /// </summary>
    PerBatch,

    /// <summary>
    /// Batches are handed to senders as soon as they are written; the spool syncs every
    /// <see cref="SpoolOptions.SyncInterval"/>. A power cut loses at most the batches of the last interval.
    /// </summary>
    Interval,

    /// <summary>
    /// The spool never syncs: what it wrote is in the operating system's buffers. That survives the
    /// process being killed, not the machine losing power.
    /// </summary>
    None,
}
