using System.Collections.Concurrent;
using Sluice.Delivery;
using Sluice.Delivery.Transports;

namespace Sluice.Fuzz.Targets;

/// <summary>How the engine target's transport answers, one behaviour per run (or all at once).</summary>
internal enum ServerMode
{
    /// <summary>Takes everything.</summary>
    Perfect,

    /// <summary>Refuses (400) any body holding a poison event (every seventh id): bisection must deliver the rest.</summary>
    Poison,

    /// <summary>A proxy refuses (413) bodies over a lower limit: the engine must split and lower its limit.</summary>
    Proxy,

    /// <summary>Fails (429/5xx, maybe with Retry-After, or by throwing) the first attempts of each body.</summary>
    Flaky,

    /// <summary>Refuses credentials (401) for the first attempts to each endpoint: the endpoint pauses and probes.</summary>
    Unauthorized,

    /// <summary>Answers a permanent failure for some batches.</summary>
    Failing,

    /// <summary>All of the above.</summary>
    Mixed,
}

/// <summary>
/// The engine target's server: answers each body from its content, deterministically, so the
/// oracles know why each answer was given. Thread-safe (senders run concurrently).
/// </summary>
internal sealed class FuzzServer(ServerMode mode, int proxyLimit, int flakyAttempts, int unauthorizedAttempts, TimeSpan? retryAfter, bool throws)
{
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private readonly ConcurrentDictionary<int, int> _endpointAttempts = new();

    public ServerMode Mode => mode;

    public int ProxyLimit => proxyLimit;

    public int FlakyAttempts => flakyAttempts;

    public static bool IsPoison(int id) => id % 7 == 3;

    /// <summary>The answer to one body whose events carry <paramref name="ids"/>; null: throw.</summary>
    public SendResult? Answer(ReceivedBatch body, IReadOnlyList<int> ids)
    {
        bool all = mode == ServerMode.Mixed;
        if ((all || mode == ServerMode.Unauthorized) && _endpointAttempts.AddOrUpdate(body.Partition, 1, (_, n) => n + 1) <= unauthorizedAttempts)
            return SendResult.Unauthorized("The fuzz server refuses these credentials for now.");
        if ((all || mode == ServerMode.Flaky) && _attempts.AddOrUpdate($"{body.Sequence}:{string.Join(',', ids)}", 1, (_, n) => n + 1) <= flakyAttempts)
            return throws ? null : SendResult.Retry("The fuzz server is busy.", retryAfter, 503);
        if ((all || mode == ServerMode.Proxy) && body.Body.Length > proxyLimit)
            return SendResult.TooLarge($"The fuzz proxy takes {proxyLimit} bytes at most.");
        if ((all || mode == ServerMode.Poison) && ids.Any(IsPoison))
            return SendResult.Rejected("The fuzz server refuses a poison event.");
        if ((all || mode == ServerMode.Failing) && body.Sequence % 4 == 3)
            return SendResult.Failed("The fuzz server fails every fourth batch for good.");
        return SendResult.Delivered;
    }
}
