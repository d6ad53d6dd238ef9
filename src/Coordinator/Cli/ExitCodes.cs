namespace OrleansUws.Coordinator.Cli;

/// <summary>Process exit codes of <c>uws</c>.</summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The command ran but failed (bad input file, cluster error); the message says why.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself was wrong (unknown option, bad value); nothing was done.</summary>
    public const int Usage = 2;

    /// <summary>
    /// The command ran, but some models were not absorbed (rejected, quarantined, or left queued by a cluster fault) or
    /// some paths were skipped as not being models (<c>uws delete</c>: some models could not be deleted); each is listed
    /// with why. Everything else was done.
    /// </summary>
    public const int ModelsNotAbsorbed = 3;

    /// <summary>The user cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;
}
