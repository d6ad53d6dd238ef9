namespace OrleansUws.Numerics.Backends;

/// <summary>
/// Probes for Debian's OpenBLAS, resolves every entry point and verifies the backend on a small known problem
/// (a 2×3 GEMM and a 2×2 eigen-decomposition) before offering it. Priority 10.
/// </summary>
public sealed class OpenBlasBackendProvider : IBlasBackendProvider
{
    /// <inheritdoc />
    public string Name => OpenBlasBackend.BackendName;

    /// <inheritdoc />
    public int Priority => 10;

    /// <inheritdoc />
    public bool TryCreate(out IBlasBackend? backend, out string reason)
    {
        backend = null;
        if (!OpenBlasNative.TryLoad(out var native, out reason))
        {
            return false;
        }

        var candidate = new OpenBlasBackend(native!);
        if (!BackendVerification.Verify(candidate, out string failure))
        {
            reason = $"{native!.Library} loaded but failed verification: {failure}";
            return false;
        }

        backend = candidate;
        reason = $"{native!.Library} loaded and verified";
        return true;
    }
}
