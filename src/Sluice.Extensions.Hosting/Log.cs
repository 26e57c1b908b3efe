using Microsoft.Extensions.Logging;

namespace Sluice.Extensions.Hosting;

/// <summary>
/// What the hosting package itself logs, to <c>ILogger&lt;SluiceEngine&gt;</c>. Event ids from 100 up; the engine's
/// diagnostics use their <see cref="Sluice.Diagnostics.DiagnosticKind"/> value (1–99).
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, EventName = "ShutdownCompleted", Level = LogLevel.Information,
        Message = "Sluice engine {Engine} shut down: all {Delivered} events delivered ({Accepted} accepted, {Replayed} replayed from the spool).")]
    public static partial void ShutdownCompleted(ILogger logger, string engine, long delivered, long accepted, long replayed);

    [LoggerMessage(EventId = 101, EventName = "ShutdownIncomplete", Level = LogLevel.Warning,
        Message = "Sluice engine {Engine} shut down with events not delivered: {Accepted} accepted, {Replayed} replayed from the spool, {Delivered} delivered, {Spooled} kept in the spool (sent at the next start), {Lost} lost at shutdown (the server does not have them), {OutcomeUnknown} of unknown outcome, {Failed} failed, {Rejected} rejected (by the server or as oversize), {Expired} expired, {Evicted} evicted; deadline passed: {TimedOut}.")]
    public static partial void ShutdownIncomplete(ILogger logger, string engine, long accepted, long replayed, long delivered, long spooled, long lost, long outcomeUnknown, long failed, long rejected,
        long expired, long evicted, bool timedOut);

    [LoggerMessage(EventId = 102, EventName = "ShutdownCutShort", Level = LogLevel.Warning,
        Message = "The host's shutdown timeout ended the drain of Sluice engine {Engine}, and the engine did not stop in time to report what was left (its serializer is held by the wire format or a callback, or its spool's disk does not answer); its result is logged when its shutdown ends.")]
    public static partial void ShutdownCutShort(ILogger logger, string engine);

    [LoggerMessage(EventId = 104, EventName = "CallsRefused", Level = LogLevel.Warning,
        Message = "Sluice engine {Engine} refused {Refused} Track/Page calls while it ran: {QueueFull} with its queue full, {ShuttingDown} as it shut down. Their events were never accepted, so the shutdown's counts leave them out (sluice.calls.refused counts them by reason).")]
    public static partial void CallsRefused(ILogger logger, string engine, long refused, long queueFull, long shuttingDown);

    [LoggerMessage(EventId = 103, EventName = "DiagnosticsSuppressed", Level = LogLevel.Warning,
        Message = "Sluice engine {Engine}: {Count} more {Kind} diagnostics in the last {Window} were not logged (at most {Limit} of a kind are, per window); the counters and metrics count every one.")]
    public static partial void DiagnosticsSuppressed(ILogger logger, string engine, long count, string kind, TimeSpan window, int limit);

    [LoggerMessage(EventId = 105, EventName = "ShutdownTimeoutNotBelowHosts", Level = LogLevel.Warning,
        Message = "Sluice engine {Engine} may take up to its ShutdownTimeout ({EngineTimeout}) and {WriteOffGrace} more to shut down, but the host's shutdown timeout (HostOptions.ShutdownTimeout, {HostTimeout}) is no longer, and it also covers the stop of every other hosted service: the host would end the engine's drain before the engine's own deadline, and the events not yet sent would be lost (or kept in the spool). Give the engine a ShutdownTimeout well below the host's, or raise HostOptions.ShutdownTimeout.")]
    public static partial void ShutdownTimeoutNotBelowHosts(ILogger logger, string engine, TimeSpan engineTimeout, TimeSpan hostTimeout, TimeSpan writeOffGrace);
}
