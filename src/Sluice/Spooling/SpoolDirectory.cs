using System.Globalization;
using System.Text;

namespace Sluice.Spooling;

/// <summary>
/// The files of a spool directory: <c>sluice.lock</c>, and per segment <c>{first batch id:D19}.segment</c>
/// and its acknowledgements <c>{first batch id:D19}.acks</c>. Names sort in batch order. Other files are left alone.
/// </summary>
internal static class SpoolDirectory
{
    public const string LockFileName = "sluice.lock";
    public const string SegmentExtension = ".segment";
    public const string AcknowledgementsExtension = ".acks";
    private const int IdDigits = 19;

    public static string SegmentPath(string directory, long firstId) =>
        Path.Combine(directory, firstId.ToString("D19", CultureInfo.InvariantCulture) + SegmentExtension);

    public static string AcknowledgementsPath(string directory, long firstId) =>
        Path.Combine(directory, firstId.ToString("D19", CultureInfo.InvariantCulture) + AcknowledgementsExtension);

    /// <summary>
    /// Why <paramref name="directory"/> (a full path) is no spool directory to read: it does not exist, or it is a file (the
    /// runtime's own words for that, "The file … already exists", read as a collision of spool files). Null if it is a directory.
    /// </summary>
    public static string? Missing(string directory) =>
        Directory.Exists(directory) ? null
        : File.Exists(directory) ? $"The spool directory '{directory}' is a file, not a directory."
        : $"There is no spool directory '{directory}'.";

    /// <summary>The first ids of the files with <paramref name="extension"/>, in order.</summary>
    public static List<long> List(string directory, string extension)
    {
        var ids = new List<long>();
        foreach (string path in Directory.EnumerateFiles(directory, "*" + extension))
        {
            string name = Path.GetFileNameWithoutExtension(path);
            if (name.Length == IdDigits && Path.GetExtension(path) == extension
                && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
                ids.Add(id);
        }

        ids.Sort();
        return ids;
    }

    /// <summary>
    /// Takes the directory's lock: its lock file held open with <see cref="FileShare.None"/> (on Unix
    /// an advisory <c>flock</c>, which .NET takes for that share mode; released when the process ends,
    /// however it ends), the holder's process id written in it.
    /// <para>On Unix a lock file can be deleted under its holder (by someone who took it for a stale one), and a new
    /// one at its path is free. So when the lock file is new (empty: no engine ever held it), the spool's own files are
    /// tried too: the engine holding the directory keeps its active segment open for writing, which holds a shared
    /// <c>flock</c> on it. A lock file an engine held before skips that, so a reader such as <c>sluice spool status</c>
    /// never keeps an engine from starting.</para>
    /// </summary>
    /// <exception cref="IOException">Another engine (in this process or another) holds it; the message names the directory.</exception>
    public static FileStream Lock(string directory)
    {
        string path = Path.Combine(directory, LockFileName);
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException e) when (IOErrors.IsLockHeld(e))
        {
            throw InUse(directory, $"its lock file {LockFileName} is held", e);
        }

        try
        {
            if (lockFile.Length == 0 && HeldSpoolFile(directory) is { } held)
            {
                throw InUse(directory,
                    $"its lock file {LockFileName} was missing or new, as when deleted under the engine holding it, and {Path.GetFileName(held)} is held open", null);
            }
        }
        catch (Exception)
        {
            lockFile.Dispose();
            throw;
        }

        WriteProcessId(lockFile);
        return lockFile;
    }

    /// <summary>
    /// Whether an engine holds the directory now: its lock file is held, or, if it is missing or new, one of its spool files
    /// is (see <see cref="Lock"/>).
    /// </summary>
    public static bool IsLocked(string directory)
    {
        var lockFile = new FileInfo(Path.Combine(directory, LockFileName));
        if (lockFile.Exists && IsHeld(lockFile.FullName))
            return true;
        return (!lockFile.Exists || lockFile.Length == 0) && HeldSpoolFile(directory) is not null;
    }

    // For operators only, and what tells the next engine that this lock file was held: a full disk must not keep the spool from opening.
    private static void WriteProcessId(FileStream lockFile)
    {
        try
        {
            lockFile.SetLength(0);
            lockFile.Write(Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
        }
        catch (IOException)
        {
            // Left empty: the next engine tries the spool files too.
        }
    }

    private static IOException InUse(string directory, string sign, IOException? inner) => new(
        $"The spool directory '{directory}' is in use by another Sluice engine ({sign}). "
        + "One engine per directory: give each engine a directory of its own, or stop the other one first.", inner);

    /// <summary>The first segment or acknowledgement file that another handle holds open, or null.</summary>
    private static string? HeldSpoolFile(string directory) =>
        List(directory, SegmentExtension).Select(id => SegmentPath(directory, id))
            .Concat(List(directory, AcknowledgementsExtension).Select(id => AcknowledgementsPath(directory, id)))
            .FirstOrDefault(IsHeld);

    /// <summary>Whether another handle holds a lock on the file (false if it is gone or cannot be opened).</summary>
    private static bool IsHeld(string path)
    {
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, bufferSize: 0);
            return false;
        }
        catch (IOException e) when (IOErrors.IsLockHeld(e))
        {
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone, or unreadable: the open that follows reports it
        }
    }
}
