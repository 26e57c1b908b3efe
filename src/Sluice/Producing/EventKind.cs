namespace Sluice.Producing;

/// <summary>The kind of an analytics event. Kinds are data, not types, so new ones can be added without new classes.</summary>
public enum EventKind : byte
{
    /// <summary>A user action: needs a user id and an event name.</summary>
    Track = 0,

    /// <summary>A page view: needs exactly one of user id or session id.</summary>
    Page = 1,
}
