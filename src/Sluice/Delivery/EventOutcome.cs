namespace Sluice.Delivery;

/// <summary>The terminal state <see cref="Settlement"/> puts delivered-or-not events into (each counted in its own counter).</summary>
internal enum EventOutcome
{
    /// <summary>The server took them.</summary>
    Delivered,

    /// <summary>The server refused each of them sent alone (400, or 413 for one event).</summary>
    Rejected,

    /// <summary>A permanent failure no retry would fix.</summary>
    Failed,

    /// <summary>Out of attempts or retry budget.</summary>
    Expired,

    /// <summary>The server may or may not have them: the deadline cancelled their request, or an earlier attempt got no answer.</summary>
    OutcomeUnknown,

    /// <summary>Left in the disk spool (out of retries, or the deadline passed): sent on the next start, not by this engine.</summary>
    Spooled,

    /// <summary>The deadline passed and the server does not have them: never sent, or every attempt was answered with a failure.</summary>
    Lost,
}
