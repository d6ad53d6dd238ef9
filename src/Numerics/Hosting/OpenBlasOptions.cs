namespace OrleansUws.Numerics.Hosting;

/// <summary>Settings of the OpenBLAS backend. Bound from configuration by the host (section <c>Uws:Numerics:OpenBlas</c> in a silo).</summary>
public sealed class OpenBlasOptions
{
    /// <summary>
    /// Threads OpenBLAS may use inside one call. Default 1: in a silo many grains call the backend at once, so the
    /// parallelism comes from the grains, and OpenBLAS's own threads would oversubscribe the cores (and spin while
    /// they wait). 0 leaves the library's default (all cores, or <c>OPENBLAS_NUM_THREADS</c>) — what a benchmark of
    /// one call's peak rate wants. OpenBLAS's setting is process-wide: the last provider that creates a backend wins.
    /// </summary>
    public int ThreadsPerCall { get; set; } = 1;
}
