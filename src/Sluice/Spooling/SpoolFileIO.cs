using Microsoft.Win32.SafeHandles;

namespace Sluice.Spooling;

/// <summary>The file system, through <see cref="RandomAccess"/>: positioned writes, no shared file pointer.</summary>
internal sealed class SpoolFileIO : ISpoolFileIO
{
    public static readonly SpoolFileIO Instance = new();

    private SpoolFileIO()
    {
    }

    // Readers (the status, another spool's inspection) may open the file meanwhile; so may a delete.
    public SafeFileHandle OpenWrite(string path, bool createNew) =>
        File.OpenHandle(path, createNew ? FileMode.CreateNew : FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);

    public void Write(SafeFileHandle file, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long offset) => RandomAccess.Write(file, buffers, offset);

    public void Write(SafeFileHandle file, ReadOnlySpan<byte> bytes, long offset) => RandomAccess.Write(file, bytes, offset);

    public void FlushToDisk(SafeFileHandle file) => RandomAccess.FlushToDisk(file);

    public void SetLength(SafeFileHandle file, long length) => RandomAccess.SetLength(file, length);

    public void Delete(string path) => File.Delete(path);
}
