namespace Sluice.Producing;

/// <summary>
/// What an NDJSON ingest did with its input. Every line read is counted once:
/// <c>LinesRead == Skipped + Blank + Accepted + Refused</c>.
/// </summary>
public readonly record struct IngestSummary
{
    /// <summary>Lines read, which is also the number of the last line read (lines count from 1).</summary>
    public long LinesRead { get; init; }

    /// <summary>Lines passed over unread at the start, as asked.</summary>
    public long Skipped { get; init; }

    /// <summary>Empty or whitespace-only lines, passed over.</summary>
    public long Blank { get; init; }

    /// <summary>Lines whose event the engine accepted: each ends in one of the engine's counted terminal states.</summary>
    public long Accepted { get; init; }

    /// <summary>Lines that are not a valid event.</summary>
    public long Invalid { get; init; }

    /// <summary>Lines longer than <see cref="SluiceOptions.MaxBatchBytes"/>.</summary>
    public long Oversize { get; init; }

    /// <summary>Lines refused because the queue was full.</summary>
    public long QueueFull { get; init; }

    /// <summary>Lines refused because the engine was shutting down (at most one: reading stops there).</summary>
    public long ShuttingDown { get; init; }

    /// <summary>Whether the whole input was read; false when cancelled or when the engine shut down first.</summary>
    public bool Completed { get; init; }

    /// <summary>All refused lines.</summary>
    public long Refused => Invalid + Oversize + QueueFull + ShuttingDown;
}
