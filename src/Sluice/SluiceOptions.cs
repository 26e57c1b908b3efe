using System.Diagnostics.Metrics;
using System.Globalization;
using System.Numerics;
using Sluice.Diagnostics;
using Sluice.Serialization;
using Sluice.Spooling;

namespace Sluice;

/// <summary>
/// Settings of a <see cref="SluiceEngine"/>. Read once, when the engine is created: they are
/// validated together (every problem reported in one exception) and later changes have no effect.
/// </summary>
public sealed class SluiceOptions
{
    /// <summary>The largest <see cref="MaxBatchBytes"/> accepted (128 MiB).</summary>
    public const int MaxBatchBytesLimit = 128 * 1024 * 1024;

    /// <summary>Events per batch at most.</summary>
    /// <value>Default 1,000 (the ThriveStack limit). Range 1–100,000; at most 1,000 with a built-in <see cref="WireFormat"/> (ThriveStack, Segment, PrimeData), whose APIs answer 400 past it.</value>
    public int MaxBatchEvents { get; set; } = 1_000;

    /// <summary>Bytes per batch body at most, uncompressed, envelope included.</summary>
    /// <value>Default 2,097,152 (2 × 1024 × 1024, what a "2 MB" body limit enforces). Range 64–128 MiB; at most 2,097,152 with a built-in <see cref="WireFormat"/>, whose APIs answer 400 past it.</value>
    public int MaxBatchBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>
    /// How long a batch stays open after its first event before it is sealed anyway. With a <see cref="Spool"/>, also how long a
    /// sealed batch waits in memory for the senders to make room before it waits on disk only (an outage).
    /// </summary>
    /// <value>Default 5 seconds. Range 1 ms – 1 day.</value>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Events the queue holds before the <see cref="FullMode"/> applies; rounded up to a power of two.</summary>
    /// <value>Default 65,536. Range 2 – 16,777,216.</value>
    public int QueueCapacity { get; set; } = 65_536;

    /// <summary>What Track/Page do when the queue is full.</summary>
    /// <value>Default <see cref="Sluice.FullMode.DropNewest"/>.</value>
    public FullMode FullMode { get; set; } = FullMode.DropNewest;

    /// <summary>
    /// How long a caller waits for room in <see cref="Sluice.FullMode.Wait"/> mode: time on the system's clock, whatever
    /// <see cref="TimeProvider"/> is (it bounds how long the calling thread is blocked; a manual clock must not block it for good).
    /// </summary>
    /// <value>Default 100 ms. Range 0 – 1 minute.</value>
    public TimeSpan FullModeWaitTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Batches sent at the same time; sealed batches beyond twice this wait in a bounded queue.</summary>
    /// <value>Default 2. Range 1–64.</value>
    public int MaxConcurrentSends { get; set; } = 2;

    /// <summary>
    /// How long shutdown may take to drain and deliver. When it passes with events unsettled, requests in flight are
    /// cancelled (their events counted outcome unknown), what was not sent is counted lost (with a spool, stays in it),
    /// and <see cref="ShutdownResult.TimedOut"/> is true. A retry or probe whose wait would end after it is not waited for: its
    /// batch is written off as soon as the shutdown begins. Zero: nothing is waited for.
    /// </summary>
    /// <value>Default 10 seconds. Range 0 – 1 hour.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Send attempts per request body (a batch, or a part of one after a split) for transient failures
    /// (429, 5xx, timeouts, connection errors); then its events are counted as expired. With the default delays,
    /// the default leaves <see cref="RetryBudget"/> to end the retries: 20 attempts wait about 3.5 minutes in all
    /// (8 would have spent a batch's attempts in about 30 seconds of an outage, a quarter of the 2-minute budget).</summary>
    /// <value>Default 20. Range 1–1,000.</value>
    public int MaxSendAttempts { get; set; } = 20;

    /// <summary>How long, from its first send attempt, a batch may keep retrying transient failures; then its
    /// undelivered events are counted as expired. Time an endpoint spends paused for bad credentials does not count.</summary>
    /// <value>Default 2 minutes. Range 0 – 1 day.</value>
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The first retry waits up to this (full jitter: a random time between zero and the bound); each further retry doubles the bound.</summary>
    /// <value>Default 500 ms. Range 1 ms – 1 hour.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait between two attempts: caps both the backoff and a server's <c>Retry-After</c>.</summary>
    /// <value>Default 30 seconds. Range <see cref="RetryBaseDelay"/> – 1 day.</value>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After an endpoint refuses the credentials (401/403) it is paused and probed with one of its batches:
    /// first after about this long, then at doubling intervals up to 8 times this, until a probe is accepted.</summary>
    /// <value>Default 1 minute. Range 1 ms – 1 day.</value>
    public TimeSpan UnauthorizedProbeInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How events and batches are written and which endpoint each goes to.</summary>
    /// <value>Default <see cref="ThriveStackFormat"/>.</value>
    public WireFormat WireFormat { get; set; } = ThriveStackFormat.Instance;

    /// <summary>The clock for default timestamps, linger and deadlines.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    /// <remarks>An event given no timestamp gets this clock's <see cref="TimeProvider.GetUtcNow"/>, read once at the call.</remarks>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Receives diagnostics (oversize events, failed sends, server warnings). Called from engine threads, the serializer's
    /// among them: keep it quick, and do not wait there for a flush or the shutdown, which wait for that thread
    /// (<see cref="SluiceEngine.Dispose"/> called there starts the shutdown and returns). An exception it throws goes to tracing only.
    /// </summary>
    /// <value>Default none.</value>
    public Action<DiagnosticEvent>? OnDiagnostic { get; set; }

    /// <summary>
    /// Receives the fate of every accepted event exactly once, by its <see cref="EnqueueResult.Sequence"/>: once per
    /// sealed batch when all its events are final (a batch bisected after a 400 settles in parts; it is reported when
    /// the last part is), and, with no batch, for events that never reached one (evicted, queued at the shutdown
    /// deadline, too large, unserializable). Called from engine threads, possibly several at once (concurrent
    /// senders), and from a Track caller's thread when a drop-oldest queue evicts: keep it quick and thread-safe, and
    /// do not call Track or Page from it. The argument's spans are valid only during the call. An exception it throws
    /// is reported as <see cref="DiagnosticKind.CallbackFailed"/> and changes nothing else.
    /// Without it, no per-event outcome is recorded at all.
    /// </summary>
    /// <value>Default none.</value>
    public BatchSettledCallback? OnBatchSettled { get; set; }

    /// <summary>A name for this engine: the <c>sluice.engine.name</c> tag of its metrics. Give engines that share a <see cref="MeterFactory"/> different names.</summary>
    /// <value>Default <c>"default"</c>.</value>
    public string Name { get; set; } = "default";

    /// <summary>
    /// Where the engine's meter (<c>Sluice</c>) comes from, such as the <see cref="IMeterFactory"/> of a dependency-injection
    /// container, which then owns it. Without one the engine creates its own meter and disposes it at shutdown.
    /// </summary>
    /// <value>Default none.</value>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// Members merged into every event's <c>context</c>, as a JSON object: what a library wrapping Sluice adds once,
    /// such as <c>{"library":{"name":"my-sdk","version":"1.2.0"}}</c>. Encoded once, when the engine is created.
    /// A member the event's own context also has is written from the event (the event's value wins). Formats
    /// whose API has no context (PrimeData) ignore it.
    /// </summary>
    /// <value>Default none. At most 64 members; 64 KiB of JSON; 32 levels of nesting, its own object counted, as an event's context.</value>
    public string? DefaultContext { get; set; }

    /// <summary>The encoded <see cref="DefaultContext"/> of a validated copy.</summary>
    internal Serialization.DefaultContext? ParsedDefaultContext { get; private set; }

    /// <summary>
    /// A disk spool for sealed batches (opt-in): each is written to this directory and made durable before it is sent, and
    /// what is not delivered when the retry budget runs out or the shutdown deadline passes stays there (counted as
    /// <see cref="SluiceCounters.Spooled"/>) for the next engine on the directory, which sends it first. While the senders
    /// take no batch for <see cref="FlushInterval"/>, new batches wait on disk only and the event queue drains to the spool,
    /// up to its byte cap. docs/durability.md describes the guarantees. One engine per directory.
    /// </summary>
    /// <value>Default none: batches live in memory only.</value>
    public SpoolOptions? Spool { get; set; }

    /// <summary>
    /// Sealed batches that may wait for a sender: twice the senders, plus, with a spool that syncs before each send, room
    /// for the batches sealed while one sync runs, so that the next sync covers them all (group commit) rather than
    /// the serializer waiting for the device.
    /// </summary>
    internal int SealedQueueCapacity => (MaxConcurrentSends * 2) + (Spool is { Sync: SpoolSync.PerBatch } ? SpoolSyncWindow : 0);

    /// <summary>
    /// Called by the serializer with the sequences of a batch's events once the spool holds the batch (written to the
    /// operating system, synced or not), before it is sent; only with <see cref="OnBatchSettled"/>, which makes batches
    /// record their sequences. Outlives a process that exits at once: <c>sluice send</c>, stopped by a second signal,
    /// counts such events as sent by the next run on the spool, not as to be read again. Keep it quick; it must not throw.
    /// </summary>
    internal Delivery.SpooledEventsCallback? OnBatchSpooled { get; set; }

    /// <summary>The spool's file operations; tests replace them to fill the disk or fail a sync.</summary>
    internal ISpoolFileIO SpoolFileIO { get; set; } = Spooling.SpoolFileIO.Instance;

    /// <summary>Batches beyond the senders' share that may be sealed ahead while a spool sync runs.</summary>
    internal const int SpoolSyncWindow = 8;

    /// <summary>The source of retry jitter; tests replace it to pin the random draws.</summary>
    internal Random JitterRandom { get; set; } = Random.Shared;

    /// <summary>Property entries per arena chunk; tests and the fuzzer shrink it so that events cross chunks often.</summary>
    internal int ArenaChunkEntries { get; set; } = Producing.ArenaChunk.DefaultEntries;

    internal SluiceOptions Validated()
    {
        var errors = Problems();
        if (errors.Count > 0)
            throw new ArgumentException("Invalid Sluice options:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "- " + e)), "options");

        var copy = (SluiceOptions)MemberwiseClone();
        copy.QueueCapacity = (int)BitOperations.RoundUpToPowerOf2((uint)QueueCapacity);
        copy.ParsedDefaultContext = DefaultContext is null ? null : Serialization.DefaultContext.Parse(DefaultContext);
        copy.Spool = Spool?.Validated();
        return copy;
    }

    /// <summary>Every problem of these settings, one sentence each naming the setting; empty when they are valid.</summary>
    internal List<string> Problems()
    {
        var errors = new List<string>();
        // Above what a built-in format's API takes, every full batch would be refused (400) and bisected: refused here
        // instead, in place of the range problem it would repeat. A custom format may send to an API that takes more.
        var (apiEvents, apiBytes) = WireFormat?.ApiLimits ?? (int.MaxValue, int.MaxValue);
        string api = $"with {WireFormat?.GetType().Name}";
        if (MaxBatchEvents > apiEvents)
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(MaxBatchEvents)} must be at most {apiEvents:N0} {api} (was {MaxBatchEvents}): its API accepts at most {apiEvents:N0} events per request and answers 400 past that."));
        else
            Check(MaxBatchEvents is >= 1 and <= 100_000, $"{nameof(MaxBatchEvents)} must be between 1 and 100,000 (was {MaxBatchEvents}).");
        if (MaxBatchBytes > apiBytes)
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(MaxBatchBytes)} must be at most {apiBytes:N0} {api} (was {MaxBatchBytes}): its API accepts at most {apiBytes:N0} bytes per request and answers 400 past that."));
        else
            Check(MaxBatchBytes is >= 64 and <= MaxBatchBytesLimit, string.Create(CultureInfo.InvariantCulture, $"{nameof(MaxBatchBytes)} must be between 64 and {MaxBatchBytesLimit:N0} (was {MaxBatchBytes})."));
        Check(FlushInterval >= TimeSpan.FromMilliseconds(1) && FlushInterval <= TimeSpan.FromDays(1), $"{nameof(FlushInterval)} must be between 1 ms and 1 day (was {FlushInterval}).");
        Check(QueueCapacity is >= 2 and <= 1 << 24, $"{nameof(QueueCapacity)} must be between 2 and 16,777,216 (was {QueueCapacity}).");
        Check(Enum.IsDefined(FullMode), $"{nameof(FullMode)} is not a defined value (was {(int)FullMode}).");
        Check(FullModeWaitTimeout >= TimeSpan.Zero && FullModeWaitTimeout <= TimeSpan.FromMinutes(1), $"{nameof(FullModeWaitTimeout)} must be between 0 and 1 minute (was {FullModeWaitTimeout}).");
        Check(MaxConcurrentSends is >= 1 and <= 64, $"{nameof(MaxConcurrentSends)} must be between 1 and 64 (was {MaxConcurrentSends}).");
        Check(ShutdownTimeout >= TimeSpan.Zero && ShutdownTimeout <= TimeSpan.FromHours(1), $"{nameof(ShutdownTimeout)} must be between 0 and 1 hour (was {ShutdownTimeout}).");
        Check(MaxSendAttempts is >= 1 and <= 1_000, $"{nameof(MaxSendAttempts)} must be between 1 and 1,000 (was {MaxSendAttempts}).");
        Check(RetryBudget >= TimeSpan.Zero && RetryBudget <= TimeSpan.FromDays(1), $"{nameof(RetryBudget)} must be between 0 and 1 day (was {RetryBudget}).");
        Check(RetryBaseDelay >= TimeSpan.FromMilliseconds(1) && RetryBaseDelay <= TimeSpan.FromHours(1), $"{nameof(RetryBaseDelay)} must be between 1 ms and 1 hour (was {RetryBaseDelay}).");
        Check(RetryMaxDelay >= RetryBaseDelay && RetryMaxDelay <= TimeSpan.FromDays(1), $"{nameof(RetryMaxDelay)} must be between {nameof(RetryBaseDelay)} ({RetryBaseDelay}) and 1 day (was {RetryMaxDelay}).");
        Check(UnauthorizedProbeInterval >= TimeSpan.FromMilliseconds(1) && UnauthorizedProbeInterval <= TimeSpan.FromDays(1), $"{nameof(UnauthorizedProbeInterval)} must be between 1 ms and 1 day (was {UnauthorizedProbeInterval}).");
        Check(WireFormat is not null, $"{nameof(WireFormat)} is required.");
        Check(TimeProvider is not null, $"{nameof(TimeProvider)} is required.");
        Check(JitterRandom is not null, $"{nameof(JitterRandom)} is required.");
        Check(ArenaChunkEntries is >= 1 and <= Producing.ArenaChunk.DefaultEntries, $"{nameof(ArenaChunkEntries)} must be between 1 and {Producing.ArenaChunk.DefaultEntries} (was {ArenaChunkEntries}).");
        Check(!string.IsNullOrWhiteSpace(Name), $"{nameof(Name)} is required.");
        Spool?.CollectErrors(errors, $"{nameof(Spool)}.");
        int formatProblems = errors.Count;
        if (WireFormat is not null)
            FormatProblems(WireFormat, errors);
        bool formatValid = WireFormat is not null && errors.Count == formatProblems;
        if (Spool is { } spool && formatValid && MaxBatchEvents is >= 1 and <= RecordLayout.MaxEvents && MaxBatchBytes is >= 64 and <= MaxBatchBytesLimit)
        {
            // A batch the spool cannot hold is sent from memory alone: a crash before it is delivered would lose it.
            long fullBatch = RecordLayout.BatchRecordLength(MaxBatchEvents, MaxBatchBytes)
                + SegmentHeader.FixedLength + System.Text.Encoding.UTF8.GetByteCount(SpoolFormatIdentity.Of(WireFormat!));
            Check(spool.MaxBytes >= fullBatch, string.Create(CultureInfo.InvariantCulture, $"{nameof(Spool)}.{nameof(SpoolOptions.MaxBytes)} must hold a full batch on disk: at least {fullBatch:N0} bytes with ")
                + string.Create(CultureInfo.InvariantCulture, $"{nameof(MaxBatchBytes)} {MaxBatchBytes:N0} and {nameof(MaxBatchEvents)} {MaxBatchEvents:N0} (was {spool.MaxBytes:N0}); lower those, or raise it."));
        }

        if (WireFormat is { PartitionCount: > 0 } && MaxBatchBytes >= 64)
        {
            for (int p = 0; p < WireFormat.PartitionCount; p++)
            {
                int envelope = WireFormat.BatchPrefix(p).Length + WireFormat.BatchSuffix(p).Length;
                Check(envelope + 2 <= MaxBatchBytes, $"{nameof(MaxBatchBytes)} ({MaxBatchBytes}) leaves no room for an event inside the {envelope}-byte envelope of partition {p}.");
            }
        }

        if (DefaultContext is not null && Serialization.DefaultContext.Problem(DefaultContext) is { } contextProblem)
            errors.Add($"{nameof(DefaultContext)} {contextProblem}");

        return errors;

        void Check(bool ok, string error)
        {
            if (!ok) errors.Add(error);
        }
    }

    /// <summary>
    /// What a custom format gets wrong about its partitions: the serializer indexes its open batches by them, so an event
    /// sent to a partition that does not exist could be neither batched nor settled (it stayed in flight for good).
    /// </summary>
    private static void FormatProblems(WireFormat format, List<string> errors)
    {
        int count = format.PartitionCount;
        if (count < 1)
        {
            errors.Add($"{nameof(WireFormat)}.{nameof(Serialization.WireFormat.PartitionCount)} must be at least 1 (was {count}).");
            return;
        }

        foreach (var kind in Enum.GetValues<Producing.EventKind>())
        {
            int partition = format.PartitionOf(kind);
            if (partition < 0 || partition >= count)
                errors.Add($"{nameof(WireFormat)}.{nameof(Serialization.WireFormat.PartitionOf)}({kind}) must be a partition from 0 to {count - 1} (was {partition}).");
        }

        for (int p = 0; p < count; p++)
        {
            if (string.IsNullOrWhiteSpace(format.EndpointPath(p)))
                errors.Add($"{nameof(WireFormat)}.{nameof(Serialization.WireFormat.EndpointPath)}({p}) is required.");
        }
    }
}
