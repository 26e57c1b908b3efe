namespace Sluice.Fuzz.Oracles;

/// <summary>The built-in wire formats, as the oracle writes their events.</summary>
internal enum WireShape
{
    /// <summary>Specs 000/001: <c>[{user_id, event_name, timestamp, properties?, context?}]</c>, two endpoints.</summary>
    ThriveStack,

    /// <summary>Spec 003: <c>{"batch":[{type, userId|anonymousId, event|name, properties?, context?, timestamp, messageId}],"sentAt":…}</c>.</summary>
    Segment,

    /// <summary>Spec 004: <c>{"events":[{eventType, sessionId, scope, timeStamp, properties, target?}]}</c>; no context.</summary>
    PrimeData,
}
