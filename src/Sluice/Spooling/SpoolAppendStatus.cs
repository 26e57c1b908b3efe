namespace Sluice.Spooling;

/// <summary>What <see cref="DiskSpool.TryAppend"/> did with a batch. Anything but <see cref="Appended"/> means: send it from memory only.</summary>
internal enum SpoolAppendStatus
{
    /// <summary>Written (durable as the sync policy says).</summary>
    Appended,

    /// <summary>Not written: the disk is full. The spool stops writing for a while (<see cref="DiskSpool.RetryWritesAfter"/>) and reports it.</summary>
    DiskFull,

    /// <summary>Not written: another I/O error. The spool stops writing for a while and reports it.</summary>
    WriteFailed,

    /// <summary>Not written: writing is stopped after a failure and not yet due to be tried again.</summary>
    Suspended,

    /// <summary>Not written: the record alone is larger than the spool's byte cap.</summary>
    TooLarge,

    /// <summary>Not written: the spool is disposed.</summary>
    Closed,

    /// <summary>Not written: asked not to evict, and the record does not fit under the byte cap without evicting. Nothing is suspended or reported.</summary>
    NoRoom,
}
