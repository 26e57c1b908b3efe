using Sluice.Diagnostics;

namespace Sluice.Tests.Support;

/// <summary>Records what <see cref="SluiceOptions.OnBatchSettled"/> reports, copied out of the callback (its spans live only during it).</summary>
public sealed class FateLog
{
    private readonly Lock _lock = new();
    private readonly List<Fate> _fates = [];
    private readonly List<Report> _reports = [];

    public BatchSettledCallback Callback => Record;

    public IReadOnlyList<Fate> Fates
    {
        get
        {
            lock (_lock)
                return [.. _fates];
        }
    }

    public IReadOnlyList<Report> Reports
    {
        get
        {
            lock (_lock)
                return [.. _reports];
        }
    }

    /// <summary>Each sequence's one outcome; fails if any was reported twice.</summary>
    public Dictionary<long, Fate> BySequence()
    {
        var fates = Fates;
        var twice = fates.GroupBy(f => f.Sequence).Where(g => g.Count() > 1).Select(g => g.Key).Take(10).ToList();
        Assert.True(twice.Count == 0, $"Sequences reported more than once: {string.Join(", ", twice)}");
        return fates.ToDictionary(f => f.Sequence);
    }

    private void Record(in SettledEvents settled)
    {
        var sequences = settled.Sequences.ToArray();
        lock (_lock)
        {
            _reports.Add(new Report(settled.Partition, settled.BatchSequence, sequences, settled.LastFailure));
            for (int i = 0; i < settled.Count; i++)
                _fates.Add(new Fate(settled.Sequences[i], settled.Outcomes[i], settled.MessageOf(i), settled.Partition, settled.BatchSequence, settled.LastFailure));
        }
    }

    public sealed record Fate(long Sequence, EventOutcome Outcome, string? Message, int Partition, long BatchSequence, string? LastFailure);

    public sealed record Report(int Partition, long BatchSequence, long[] Sequences, string? LastFailure);
}
