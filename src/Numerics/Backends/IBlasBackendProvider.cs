namespace OrleansUws.Numerics.Backends;

/// <summary>
/// Knows how to probe for, and create, one kind of <see cref="IBlasBackend"/>. Providers are registered in DI;
/// the backend selector asks the forced one (option or <c>UWS_BLAS</c>) or else every provider by descending
/// <see cref="Priority"/> and takes the first that is available, logging the reasons of those that are not.
/// </summary>
public interface IBlasBackendProvider
{
    /// <summary>The backend's short name ("managed", "openblas", "cuda"), as accepted by the <c>UWS_BLAS</c> variable.</summary>
    string Name { get; }

    /// <summary>Higher is preferred when nothing is forced (cuda &gt; openblas &gt; managed).</summary>
    int Priority { get; }

    /// <summary>
    /// Probes the native libraries/devices, creates the backend and verifies it with a small known computation.
    /// Returns false, with a human-readable <paramref name="reason"/>, when this backend cannot run here; never throws for absence.
    /// </summary>
    bool TryCreate(out IBlasBackend? backend, out string reason);
}
