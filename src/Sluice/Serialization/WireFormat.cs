using System.Text.Json;
using Sluice.Producing;

namespace Sluice.Serialization;

/// <summary>
/// How events and the batch envelope are written for one receiving API, and which endpoint each
/// event goes to. A body is <see cref="BatchPrefix"/>, the events separated by commas, then
/// <see cref="BatchSuffix"/>; the batch limits count all of it. Implementations are immutable
/// (stateless, or holding only their settings) and are called from the engine's single serializer
/// thread (and, for <see cref="StampBeforeSend"/>, from senders).
/// </summary>
public abstract class WireFormat
{
    /// <summary>How many endpoints (partitions) this format sends to, at least 1; events of different partitions never share a batch.</summary>
    public abstract int PartitionCount { get; }

    /// <summary>The partition an event of this kind goes to, from 0 to <see cref="PartitionCount"/> − 1 (an engine checks every kind when it is created).</summary>
    public abstract int PartitionOf(EventKind kind);

    /// <summary>The endpoint path of a partition, relative to the transport's base address; required.</summary>
    public abstract string EndpointPath(int partition);

    /// <summary>The bytes that open a body.</summary>
    public abstract ReadOnlySpan<byte> BatchPrefix(int partition);

    /// <summary>The bytes that close a body. Fixed length; may hold a placeholder that <see cref="StampBeforeSend"/> fills.</summary>
    public abstract ReadOnlySpan<byte> BatchSuffix(int partition);

    /// <summary>
    /// Rewrites send-time fields of the suffix in place, before every send attempt. The default does nothing. An exception it
    /// throws fails the attempt for good, unsent: its events are counted failed (a retry would throw again).
    /// </summary>
    public virtual void StampBeforeSend(int partition, Span<byte> suffix, DateTimeOffset now)
    {
    }

    /// <summary>
    /// Checks, at the Track/Page call, the fields this format requires beyond the engine's own rules;
    /// throws <see cref="ArgumentException"/> naming the field. The default accepts everything.
    /// </summary>
    public virtual void Validate(EventKind kind, string? userId, string? sessionId, string? name)
    {
    }

    /// <summary>
    /// Whether <see cref="WriteEvent"/> writes the context (PrimeData's API has no place for it). The
    /// engine counts only what is written when it refuses an oversize event before writing it.
    /// </summary>
    /// <value>Default true.</value>
    public virtual bool WritesContext => true;

    /// <summary>
    /// A setting the format writes into every event that the request sending it must match (PrimeData's client id, each
    /// event's <c>scope</c>, which must equal its <c>X-Client-Id</c>), or null: part of the format's spool identity, so
    /// that a spooled body is replayed only under the same setting.
    /// </summary>
    internal virtual string? SpoolBinding => null;

    /// <summary>
    /// The most events and body bytes one request of this format's API takes, past which it answers 400, or null when the
    /// format does not say (a custom one, which may send to an API of its own): an engine refuses batch limits above them.
    /// </summary>
    internal virtual (int Events, int Bytes)? ApiLimits => null;

    /// <summary>What the built-in APIs take per request: 1,000 events or 2 MB (2,097,152 bytes), whichever comes first.</summary>
    private protected static (int Events, int Bytes) BuiltInApiLimits => (1_000, 2 * 1024 * 1024);

    /// <summary>
    /// The instance a new engine made with this format writes with: this one, unless what it writes must differ from engine to
    /// engine (<see cref="SegmentFormat"/>'s message ids) and an engine took it already. Called once per engine.
    /// </summary>
    internal virtual WireFormat ForEngine() => this;

    /// <summary>
    /// Writes one event as exactly one complete JSON value (all it opens closed): an event written as nothing, or with
    /// something left open, is dropped and counted failed (<c>EventFailed</c>); refuse in <see cref="Validate"/> the events
    /// the format cannot send. Write the user or session id, the
    /// track's name, and the properties and context (if <see cref="WritesContext"/>) the event has: the
    /// engine refuses an event as oversize, before writing it, when their length alone exceeds the batch
    /// limit (a page's name is optional).
    /// </summary>
    /// <param name="writer">
    /// The partition's writer, positioned in the batch body after the events before (it writes the comma
    /// between two events itself). Its settings are fixed (relaxed escaping, no validation: a format must
    /// write well-formed JSON). Don't flush or reset it: the engine takes the event's exact size from its
    /// pending bytes. Write names as <see cref="JsonEncodedText"/> kept in static fields: encoded once.
    /// </param>
    /// <param name="e">The event.</param>
    public abstract void WriteEvent(Utf8JsonWriter writer, in EventView e);
}
