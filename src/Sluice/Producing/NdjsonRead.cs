namespace Sluice.Producing;

/// <summary>What <see cref="NdjsonLines.Next"/> found in the bytes it was given.</summary>
internal enum NdjsonRead
{
    /// <summary>No whole line yet: the next line needs more input.</summary>
    NeedMore,

    /// <summary>A line, within the length limit.</summary>
    Line,

    /// <summary>A line longer than the limit, passed over unread.</summary>
    Oversize,
}
