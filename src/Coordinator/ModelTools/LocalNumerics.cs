using Microsoft.Extensions.DependencyInjection;
using OrleansUws.Numerics.Backends;

namespace OrleansUws.Coordinator.ModelTools;

/// <summary>
/// The BLAS backend for verbs that compute in this process (compress, reconstruct, merge): the numerics library's
/// selector (OpenBLAS when present, else managed; <c>UWS_BLAS</c> forces one), from a service provider this owns.
/// </summary>
public sealed class LocalNumerics : IDisposable
{
    private readonly ServiceProvider _services;

    private LocalNumerics(ServiceProvider services, IBlasBackend backend)
    {
        _services = services;
        Backend = backend;
    }

    /// <summary>The selected backend.</summary>
    public IBlasBackend Backend { get; }

    /// <summary>Builds the provider and selects the backend.</summary>
    public static LocalNumerics Create()
    {
        var services = new ServiceCollection().AddLogging().AddUwsNumerics().BuildServiceProvider();
        try
        {
            return new LocalNumerics(services, services.GetRequiredService<IBlasBackend>());
        }
        catch
        {
            services.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the provider (and the backend with it).</summary>
    public void Dispose() => _services.Dispose();
}
