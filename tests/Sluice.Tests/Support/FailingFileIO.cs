using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Sluice.Spooling;

namespace Sluice.Tests.Support;

/// <summary>
/// The real file system, with failures on demand: a disk that fills up (the exception .NET throws for
/// ENOSPC), optionally after writing part of a record, as a short write does. Counts fsyncs, and names the files synced.
/// </summary>
internal sealed class FailingFileIO : ISpoolFileIO
{
    private readonly SpoolFileIO _inner = SpoolFileIO.Instance;
    private readonly ConditionalWeakTable<SafeFileHandle, string> _paths = [];
    private int _flushes;

    /// <summary>Writes fail while this is set: the disk is full.</summary>
    public bool DiskFull { get; set; }

    /// <summary>When the disk is full, how many bytes of a gather write still reach the file first.</summary>
    public int PartialBytes { get; set; }

    /// <summary>Syncs fail while this is set (an I/O error from the device).</summary>
    public bool FlushFails { get; set; }

    /// <summary>
    /// Syncs are counted but not sent to the device: for tests that simulate losing what was not
    /// synced themselves, and would otherwise spend their time waiting for the disk.
    /// </summary>
    public bool SkipDeviceSync { get; set; }

    /// <summary>While set, a sync signals <see cref="SyncEntered"/> and waits for this before it goes to the device.</summary>
    public ManualResetEventSlim? HoldSync { get; set; }

    /// <summary>Set when a sync is waiting for <see cref="HoldSync"/>.</summary>
    public ManualResetEventSlim SyncEntered { get; } = new();

    /// <summary>Truncations fail while this is set.</summary>
    public bool SetLengthFails { get; set; }

    /// <summary>Deleting a file whose path ends with this fails (a file held open by another program, say), while set.</summary>
    public string? DeleteFailsFor { get; set; }

    public int Flushes => Volatile.Read(ref _flushes);

    /// <summary>The file of each sync, in order (a file opened for writing through this).</summary>
    public ConcurrentQueue<string> Synced { get; } = new();

    public static IOException DiskFullException() => new("No space left on device", 28);

    public SafeFileHandle OpenWrite(string path, bool createNew)
    {
        if (DiskFull && createNew)
            throw DiskFullException();
        var file = _inner.OpenWrite(path, createNew);
        _paths.AddOrUpdate(file, path);
        return file;
    }

    public void Write(SafeFileHandle file, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long offset)
    {
        if (DiskFull)
        {
            var bytes = buffers.SelectMany(b => b.ToArray()).Take(PartialBytes).ToArray();
            _inner.Write(file, bytes, offset);
            throw DiskFullException();
        }

        _inner.Write(file, buffers, offset);
    }

    public void Write(SafeFileHandle file, ReadOnlySpan<byte> bytes, long offset)
    {
        if (DiskFull)
            throw DiskFullException();
        _inner.Write(file, bytes, offset);
    }

    public void FlushToDisk(SafeFileHandle file)
    {
        if (FlushFails)
            throw new IOException("Input/output error", 5);
        if (HoldSync is { } hold)
        {
            SyncEntered.Set();
            if (!hold.Wait(TimeSpan.FromSeconds(30)))
                throw new TimeoutException("The test never released the sync.");
        }

        Interlocked.Increment(ref _flushes);
        if (_paths.TryGetValue(file, out var path))
            Synced.Enqueue(path);
        if (!SkipDeviceSync)
            _inner.FlushToDisk(file);
    }

    public void SetLength(SafeFileHandle file, long length)
    {
        if (SetLengthFails)
            throw new IOException("Input/output error", 5);
        _inner.SetLength(file, length);
    }

    public void Delete(string path)
    {
        if (DeleteFailsFor is { } end && path.EndsWith(end, StringComparison.Ordinal))
            throw new IOException("The process cannot access the file because it is being used by another process.", 32);
        _inner.Delete(path);
    }
}
