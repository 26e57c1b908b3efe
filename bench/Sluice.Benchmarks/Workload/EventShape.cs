namespace Sluice.Benchmarks;

/// <summary>Which event the measurements use.</summary>
internal enum EventShape
{
    /// <summary><see cref="StandardEvent"/>: about 290 bytes.</summary>
    Standard,

    /// <summary><see cref="LargeEvent"/>: about 8 KB.</summary>
    Large,
}
