namespace Sluice.Cli;

/// <summary>
/// The exit codes of <c>sluice</c>: the conventional ones (sysexits.h, and 128 + the signal's number),
/// so that scripts can tell a usage mistake from a missing file or an unreachable server.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Every line was read and every event delivered.</summary>
    public const int Success = 0;

    /// <summary>A line was refused, or an accepted event was not delivered (rejected, expired, lost).</summary>
    public const int NotAllDelivered = 1;

    /// <summary>The command line is wrong: an unknown option or command (with a suggestion), a bad value, a missing credential.</summary>
    public const int Usage = 2;

    /// <summary>EX_NOINPUT: the input file does not exist, cannot be read, or is a directory, or standard input is not open; or reading it failed mid-way (what was read is delivered).</summary>
    public const int NoInput = 66;

    /// <summary>EX_UNAVAILABLE: the endpoint took nothing: no event was delivered and none was rejected by the server.</summary>
    public const int Unavailable = 69;

    /// <summary>EX_SOFTWARE: an unexpected internal error (a bug): one line on standard error.</summary>
    public const int Internal = 70;

    /// <summary>EX_IOERR: the command succeeded but standard output could not be written (closed, or the device full): its summary is lost.</summary>
    public const int OutputFailed = 74;

    /// <summary>EX_NOPERM: the server refused the credentials (401/403): sending stopped, as no retry can succeed.</summary>
    public const int CredentialsRefused = 77;

    /// <summary>EX_CANTCREAT: the output directory (<c>--out</c>) or the spool directory (<c>--spool</c>) cannot be created or written, or another sluice uses the spool.</summary>
    public const int CannotCreate = 73;

    /// <summary>Stopped by SIGHUP (the terminal or session closed): 128 + 1.</summary>
    public const int HungUp = 129;

    /// <summary>Interrupted by SIGINT (Ctrl+C): 128 + 2.</summary>
    public const int Interrupted = 130;

    /// <summary>Terminated by SIGTERM: 128 + 15.</summary>
    public const int Terminated = 143;

    /// <summary>The lines of <c>--help</c> that explain them.</summary>
    public const string Help = """
        Exit codes:
          0    every line read and every event delivered
          1    a line was refused or an accepted event was not delivered (the summary says which)
          2    usage error: unknown command or option (with a suggestion), bad value, missing credential
          66   the input is missing, unreadable or a directory, standard input is not open (-i - with <&-),
               or reading it failed: what was read was delivered and the summary gives the line to resume
               after (--skip-lines)
          69   the endpoint took nothing: no event delivered, none rejected by the server
          70   internal error
          73   the output or spool directory cannot be created or written, or another sluice uses the spool
          74   all else succeeded, but standard output could not be written (closed, or the device full)
          77   the server refused the credentials (401/403): sending stopped; at once, not after --stop-timeout,
               when every endpoint refused them (what was not delivered is lost, or stays in the spool)
          130  stopped by SIGINT (Ctrl+C), 143 by SIGTERM, 129 by SIGHUP: accepted events were delivered within
               --stop-timeout and the summary gives the line to resume after (--skip-lines)
        """;
}
