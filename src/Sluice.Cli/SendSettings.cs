namespace Sluice.Cli;

/// <summary>What <c>sluice send</c> was asked to do, as parsed from its options.</summary>
internal sealed record SendSettings
{
    public required string Input { get; init; }

    public string? Out { get; init; }

    public string Format { get; init; } = "thrivestack";

    public string? Endpoint { get; init; }

    public bool Gzip { get; init; }

    /// <summary>Credential option name (without dashes) → value given on the command line.</summary>
    public IReadOnlyDictionary<string, string?> Credentials { get; init; } = new Dictionary<string, string?>();

    public long SkipLines { get; init; }

    /// <summary>The spool directory (<c>--spool</c>): sealed batches are written there before they are sent; null: none.</summary>
    public string? Spool { get; init; }

    /// <summary>The spool's byte cap (<c>--spool-max-bytes</c>); raised to what the directory already holds if that is more.</summary>
    public long SpoolMaxBytes { get; init; } = new Sluice.Spooling.SpoolOptions().MaxBytes;

    public TimeSpan RetryBudget { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long to wait after the input ends for the accepted events to settle; null: as long as batches make progress.</summary>
    public TimeSpan? DrainTimeout { get; init; }

    /// <summary>After SIGINT/SIGTERM (or the drain timeout), how long to go on delivering what was accepted.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public bool Quiet { get; init; }

    public bool Json { get; init; }
}
