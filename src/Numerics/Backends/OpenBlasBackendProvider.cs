namespace OrleansUws.Numerics.Backends;

/// <summary>
/// Probes for Debian's OpenBLAS, resolves every entry point and verifies the backend on a small known problem
/// (a 2×3 GEMM and a 2×2 eigen-decomposition) before offering it. Priority 10.
/// </summary>
public sealed unsafe class OpenBlasBackendProvider : IBlasBackendProvider
{
    private readonly int _nativeThreads;

    /// <summary>A provider that leaves OpenBLAS's thread count as the library sets it (benchmarks, tests).</summary>
    public OpenBlasBackendProvider()
        : this(nativeThreads: 0)
    {
    }

    /// <summary>A provider that applies <see cref="Hosting.OpenBlasOptions.ThreadsPerCall"/> (what DI uses).</summary>
    public OpenBlasBackendProvider(Microsoft.Extensions.Options.IOptions<Hosting.OpenBlasOptions> options)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value.ThreadsPerCall)
    {
    }

    private OpenBlasBackendProvider(int nativeThreads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nativeThreads);
        _nativeThreads = nativeThreads;
    }

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

        if (_nativeThreads > 0 && native!.SetNumThreads != null)
        {
            native.SetNumThreads(_nativeThreads);
        }

        var candidate = new OpenBlasBackend(native!);
        if (!BackendVerification.Verify(candidate, out string failure))
        {
            reason = $"{native!.Describe()} loaded but failed verification: {failure}";
            return false;
        }

        backend = candidate;
        reason = (_nativeThreads > 0
            ? $"{native!.Describe()} loaded and verified, {_nativeThreads} thread(s) per call"
            : $"{native!.Describe()} loaded and verified, library-default threads") + $"; {Internal.ShrinkKernels.Describe()}";
        return true;
    }
}
