namespace Sluice.Spooling;

/// <summary>What <see cref="FrameReader.ReadAsync"/> found next in a spool file.</summary>
internal enum FrameKind
{
    /// <summary>The end of the file.</summary>
    End,

    /// <summary>An intact segment header (at offset 0 of a segment file).</summary>
    SegmentHeader,

    /// <summary>An intact segment header of another layout version (<see cref="FrameReader.OtherVersion"/>): nothing after it can be read.</summary>
    OtherVersionHeader,

    /// <summary>An intact batch record.</summary>
    Batch,

    /// <summary>An intact acknowledgement record.</summary>
    Acknowledgement,

    /// <summary>Damaged bytes followed by an intact record: a corrupt record, skipped.</summary>
    Damaged,

    /// <summary>Damaged or incomplete bytes up to the end of the file: a write cut short, to be truncated.</summary>
    TornTail,
}
