using OrleansUws.Numerics.Cuda;

namespace OrleansUws.Numerics.Tests.Cuda;

/// <summary>One CUDA backend shared by the device tests, or the provider's reason why there is none.</summary>
public sealed class CudaBackendFixture : IDisposable
{
    public CudaBackendFixture()
    {
        var provider = new CudaBackendProvider(new CudaBackendOptions(), candidates: null, logger: null);
        if (provider.TryCreate(out var backend, out var reason))
        {
            Backend = (CudaBlasBackend)backend!;
        }

        Reason = reason;
    }

    /// <summary>The backend, or null on a machine without a usable GPU.</summary>
    public CudaBlasBackend? Backend { get; }

    /// <summary>Why <see cref="Backend"/> is null.</summary>
    public string Reason { get; }

    public void Dispose() => Backend?.Dispose();
}
