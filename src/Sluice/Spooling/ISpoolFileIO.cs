using Microsoft.Win32.SafeHandles;

namespace Sluice.Spooling;

/// <summary>
/// How the spool writes, syncs, truncates and deletes its files: the file system (<see cref="SpoolFileIO"/>),
/// or in tests one that fails as a full disk does. Reads do not go through it.
/// </summary>
internal interface ISpoolFileIO
{
    /// <summary>Opens a file for writing: a new one (<paramref name="createNew"/>), or an existing one or a new one.</summary>
    SafeFileHandle OpenWrite(string path, bool createNew);

    /// <summary>Writes <paramref name="buffers"/> one after the other at <paramref name="offset"/> (one gather write).</summary>
    void Write(SafeFileHandle file, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long offset);

    /// <summary>Writes <paramref name="bytes"/> at <paramref name="offset"/>.</summary>
    void Write(SafeFileHandle file, ReadOnlySpan<byte> bytes, long offset);

    /// <summary>Puts what was written to the file on the device (fsync).</summary>
    void FlushToDisk(SafeFileHandle file);

    /// <summary>Truncates the file (or extends it) to <paramref name="length"/> bytes.</summary>
    void SetLength(SafeFileHandle file, long length);

    /// <summary>Deletes the file if it exists.</summary>
    void Delete(string path);
}
