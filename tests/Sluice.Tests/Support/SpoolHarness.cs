using System.Buffers;
using Sluice.Spooling;

namespace Sluice.Tests.Support;

/// <summary>A spool directory of its own (deleted on dispose), a manual clock and the diagnostics the spools reported.</summary>
internal sealed class SpoolHarness : IDisposable
{
    public const string Format = "test-format /t envelope 00000000";

    private readonly TempDirectory _directory = new("sluice-spool");
    private readonly List<SpoolDiagnostic> _diagnostics = [];

    public string Directory => _directory.Path;

    public ManualTimeProvider Time { get; } = new();

    public IReadOnlyList<SpoolDiagnostic> Diagnostics
    {
        get
        {
            lock (_diagnostics)
                return [.. _diagnostics];
        }
    }

    public IReadOnlyList<SpoolDiagnostic> DiagnosticsOf(SpoolDiagnosticKind kind) => [.. Diagnostics.Where(d => d.Kind == kind)];

    public void ClearDiagnostics()
    {
        lock (_diagnostics)
            _diagnostics.Clear();
    }

    public SpoolOptions Options(Action<SpoolOptions>? configure = null)
    {
        var options = new SpoolOptions { DirectoryPath = Directory };
        configure?.Invoke(options);
        return options;
    }

    public async Task<DiskSpool> OpenAsync(Action<SpoolOptions>? configure = null, ISpoolFileIO? io = null, string format = Format)
        => await DiskSpool.OpenAsync(Options(configure), format, Time, Record, io ?? SpoolFileIO.Instance);

    /// <summary>Appends and asserts it was written.</summary>
    public static SpoolTicket Append(DiskSpool spool, SpoolBatch batch)
    {
        Assert.Equal(SpoolAppendStatus.Appended, spool.TryAppend(batch.Partition, batch.Sequence(), batch.Ends, out var ticket));
        return ticket;
    }

    /// <summary>Everything the replay hands out, copied.</summary>
    public static async Task<List<Replayed>> ReplayAllAsync(DiskSpool spool)
    {
        var replayed = new List<Replayed>();
        await using var replay = spool.OpenReplay();
        while (await replay.MoveNextAsync())
        {
            var current = replay.Current;
            var ends = new int[current.EventCount];
            replay.CopyEventEndsTo(ends);
            var body = new ArrayBufferWriter<byte>();
            replay.CopyBodyTo(body);
            Assert.Equal(current.BodyLength, body.WrittenCount);
            replayed.Add(new Replayed(current.Ticket, new SpoolBatch(current.Partition, ends, body.WrittenSpan.ToArray()), current.AppendedAt));
        }

        return replayed;
    }

    public string[] Files(string extension) => [.. System.IO.Directory.GetFiles(Directory, "*" + extension).Order(StringComparer.Ordinal)];

    public void Dispose() => _directory.Dispose();

    private void Record(SpoolDiagnostic diagnostic)
    {
        lock (_diagnostics)
            _diagnostics.Add(diagnostic);
    }
}

/// <summary>A batch read back, with its ticket and time.</summary>
internal sealed record Replayed(SpoolTicket Ticket, SpoolBatch Batch, DateTimeOffset AppendedAt)
{
    public bool SameAs(SpoolBatch expected) =>
        Batch.Partition == expected.Partition && Batch.Ends.SequenceEqual(expected.Ends) && Batch.Body.AsSpan().SequenceEqual(expected.Body);
}
