namespace Sluice.Producing;

/// <summary>The counts of one NDJSON ingest, and where its refusals and acceptances are reported. Used by the reading flow only.</summary>
internal sealed class IngestTally(long skipLines, Action<IngestError>? onError, IAcceptedLines? accepted)
{
    public long SkipLines { get; } = skipLines;

    public IAcceptedLines? AcceptedLines { get; } = accepted;

    public long Skipped;
    public long Blank;
    public long Accepted;
    public long Invalid;
    public long Oversize;
    public long QueueFull;
    public long ShuttingDown;

    /// <summary>Lines counted so far, whatever became of them: the summary's lines read, so that its counts add up by construction.</summary>
    private long LinesSeen => Skipped + Blank + Accepted + Invalid + Oversize + QueueFull + ShuttingDown;

    public void Refuse(long lineNumber, IngestRefusal reason, string message)
    {
        switch (reason)
        {
            case IngestRefusal.Invalid: Invalid++; break;
            case IngestRefusal.Oversize: Oversize++; break;
            case IngestRefusal.QueueFull: QueueFull++; break;
            default: ShuttingDown++; break;
        }

        onError?.Invoke(new IngestError(lineNumber, reason, message));
    }

    /// <summary>What was counted so far: for the reading's end, or for a caller whose reading has not returned (or failed).</summary>
    public IngestSummary Summary(bool completed) => new()
    {
        LinesRead = LinesSeen,
        Skipped = Skipped,
        Blank = Blank,
        Accepted = Accepted,
        Invalid = Invalid,
        Oversize = Oversize,
        QueueFull = QueueFull,
        ShuttingDown = ShuttingDown,
        Completed = completed,
    };
}
