using OrleansUws.Grains.Telemetry;
using OrleansUws.Numerics.Backends;

namespace OrleansUws.Silo.Hosting;

/// <summary>The per-silo gauges' view of this silo: the selected BLAS backend and the GPU it advertises.</summary>
/// <param name="backend">The numerics backend the grains use (selected once, at first use).</param>
/// <param name="gpu">What the silo advertises to placement.</param>
internal sealed class SiloTelemetrySource(Lazy<IBlasBackend> backend, GpuAdvertisement gpu) : ISiloTelemetrySource
{
    /// <inheritdoc />
    public string BlasBackend => backend.Value.Name;

    /// <inheritdoc />
    public bool GpuPresent => gpu.HasGpu;

    /// <inheritdoc />
    public long GpuMemoryBytes => gpu.MemoryBytes;
}
