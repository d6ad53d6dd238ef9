namespace OrleansUws.Numerics.Backends;

/// <summary>Offers the managed reference backend; always available. Priority 0 (the fallback).</summary>
public sealed class ManagedBlasBackendProvider : IBlasBackendProvider
{
    /// <inheritdoc />
    public string Name => ManagedBlasBackend.BackendName;

    /// <inheritdoc />
    public int Priority => 0;

    /// <inheritdoc />
    public bool TryCreate(out IBlasBackend? backend, out string reason)
    {
        backend = new ManagedBlasBackend();
        reason = $"pure managed code, always available; {Internal.ShrinkKernels.Describe()}";
        return true;
    }
}
