namespace Sluice.Spooling;

/// <summary>Damaged bytes found in a spool file.</summary>
/// <param name="Path">The file.</param>
/// <param name="Offset">Where the damage starts.</param>
/// <param name="Length">How many bytes it spans.</param>
/// <param name="Torn">True if it runs to the end of the file (a write cut short: truncated); false if an intact record follows (a corrupt record: skipped).</param>
internal readonly record struct DamageRegion(string Path, long Offset, long Length, bool Torn);
