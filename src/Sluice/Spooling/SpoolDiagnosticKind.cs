namespace Sluice.Spooling;

/// <summary>What a <see cref="SpoolDiagnostic"/> reports.</summary>
internal enum SpoolDiagnosticKind
{
    /// <summary>A damaged record was found on open and skipped; the records around it are intact.</summary>
    CorruptRecord,

    /// <summary>A file ended in a write cut short (a crash); the tail was truncated on open.</summary>
    TornTail,

    /// <summary>The byte cap was reached: the oldest segment was deleted with the batches in it not yet acknowledged.</summary>
    Evicted,

    /// <summary>A write or sync failed (the disk is full, or another I/O error): batches go from memory only for a while.</summary>
    WritesSuspended,

    /// <summary>A write succeeded again after <see cref="WritesSuspended"/>.</summary>
    WritesResumed,

    /// <summary>An acknowledgement could not be written: the batch will be sent again after a restart.</summary>
    AcknowledgementFailed,

    /// <summary>A file could not be deleted or read; the spool carried on.</summary>
    FileFailed,
}
