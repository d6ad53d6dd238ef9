namespace OrleansUws.Silo.Hosting;

/// <summary>What a GPU probe found on this machine (e.g. from <c>CudaDeviceProbe</c> in the CUDA package).</summary>
/// <param name="HasGpu">Whether a usable GPU is present.</param>
/// <param name="MemoryBytes">Its memory in bytes (0 when none).</param>
public sealed record GpuAdvertisement(bool HasGpu, long MemoryBytes)
{
    /// <summary>No GPU.</summary>
    public static GpuAdvertisement None { get; } = new(false, 0);

    /// <summary>
    /// The default probe: the CUDA package's <see cref="OrleansUws.Numerics.Cuda.CudaDeviceProbe"/> (never throws; no
    /// CUDA libraries or devices means no GPU). All devices' memory is summed.
    /// </summary>
    public static GpuAdvertisement ProbeCuda()
    {
        var result = OrleansUws.Numerics.Cuda.CudaDeviceProbe.Probe();
        return result.IsAvailable ? new GpuAdvertisement(true, (long)Math.Min(result.TotalMemoryBytes, long.MaxValue)) : None;
    }

    /// <summary>
    /// Configuration wins over the probe: <c>Uws:Silo:Gpu:Enabled</c>/<c>MemoryBytes</c> when set, else the probe's
    /// answer, else no GPU. A probe that throws counts as no GPU.
    /// </summary>
    public static GpuAdvertisement Resolve(Options.UwsGpuOptions configured, Func<GpuAdvertisement?>? probe)
    {
        GpuAdvertisement? probed = null;
        if (configured.Enabled is null || configured.MemoryBytes is null)
        {
            try
            {
                probed = probe?.Invoke();
            }
            catch (Exception)
            {
                probed = null; // a failing probe means no usable GPU; the backend selector logs the details
            }
        }

        var hasGpu = configured.Enabled ?? probed?.HasGpu ?? false;
        var memory = configured.MemoryBytes ?? (hasGpu ? probed?.MemoryBytes ?? 0 : 0);
        return new GpuAdvertisement(hasGpu, memory);
    }
}
