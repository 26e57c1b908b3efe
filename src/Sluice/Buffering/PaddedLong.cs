using System.Runtime.InteropServices;

namespace Sluice.Buffering;

/// <summary>A counter alone on its cache line(s), so producers and the consumer do not false-share.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedLong
{
    [FieldOffset(64)]
    public long Value;
}
