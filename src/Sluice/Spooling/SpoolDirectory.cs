using System.Globalization;

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
    /// however it ends).
    /// </summary>
    /// <exception cref="IOException">Another engine (in this process or another) holds it; the message names the directory.</exception>
    public static FileStream Lock(string directory)
    {
        string path = Path.Combine(directory, LockFileName);
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException e) when (IOErrors.IsLockHeld(e))
        {
            throw new IOException(
                $"The spool directory '{directory}' is in use by another Sluice engine (its lock file {LockFileName} is held). "
                + "One engine per directory: give each engine a directory of its own, or stop the other one first.", e);
        }
    }

    /// <summary>Whether an engine holds the directory's lock now (false if there is no lock file).</summary>
    public static bool IsLocked(string directory)
    {
        string path = Path.Combine(directory, LockFileName);
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None, bufferSize: 0);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (IOException e) when (IOErrors.IsLockHeld(e))
        {
            return true;
        }
    }
}
