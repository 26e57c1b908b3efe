namespace Sluice.Spooling;

/// <summary>Reads the operating system's reason out of an I/O exception.</summary>
internal static class IOErrors
{
    // Windows: ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL; ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION (as HRESULTs).
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);
    private const int WindowsSharingViolation = unchecked((int)0x80070020);
    private const int WindowsLockViolation = unchecked((int)0x80070021);

    // Unix: .NET puts the errno in HResult. ENOSPC is 28 on Linux and the BSDs; EDQUOT (quota
    // exhausted, also "disk full" to the user) is 122 on Linux, 69 on macOS and the BSDs. A lock held
    // elsewhere is EWOULDBLOCK: 11 on Linux, 35 on macOS and the BSDs.
    private const int NoSpace = 28;

    /// <summary>Whether <paramref name="exception"/> says the disk (or the user's quota) is full.</summary>
    public static bool IsDiskFull(Exception exception)
    {
        if (exception is not IOException io)
            return false;
        if (OperatingSystem.IsWindows())
            return io.HResult is WindowsDiskFull or WindowsHandleDiskFull;
        int quota = OperatingSystem.IsLinux() ? 122 : 69;
        return io.HResult == NoSpace || io.HResult == quota;
    }

    /// <summary>Whether <paramref name="exception"/> says another handle holds a lock on the file.</summary>
    public static bool IsLockHeld(IOException exception)
    {
        if (OperatingSystem.IsWindows())
            return exception.HResult is WindowsSharingViolation or WindowsLockViolation;
        return exception.HResult == (OperatingSystem.IsLinux() ? 11 : 35);
    }
}
