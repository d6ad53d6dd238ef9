namespace OrleansUws.Numerics.Cuda;

/// <summary>What <see cref="CudaDeviceProbe"/> found: the devices, or why there are none.</summary>
/// <param name="Devices">The devices found (empty when none).</param>
/// <param name="Reason">Why no device is usable (empty when <see cref="Devices"/> is not empty): the missing library and the files tried, or the failing call and its status.</param>
/// <param name="RuntimeVersion">The CUDA runtime's version (e.g. 13000), 0 when the runtime did not load.</param>
/// <param name="DriverVersion">The newest CUDA version the driver supports, 0 when unknown or absent.</param>
/// <param name="Libraries">The library files loaded, empty when they did not load.</param>
public sealed record CudaProbeResult(
    IReadOnlyList<CudaDeviceInfo> Devices, string Reason, int RuntimeVersion, int DriverVersion, string Libraries)
{
    /// <summary>Number of devices found.</summary>
    public int DeviceCount => Devices.Count;

    /// <summary>True when at least one device is usable.</summary>
    public bool IsAvailable => Devices.Count > 0;

    /// <summary>Sum of the devices' memory in bytes.</summary>
    public ulong TotalMemoryBytes => Devices.Aggregate(0UL, (sum, device) => sum + device.TotalMemoryBytes);

    /// <summary>A result with no device and the given reason.</summary>
    public static CudaProbeResult None(string reason, int runtimeVersion = 0, int driverVersion = 0, string libraries = "") =>
        new([], reason, runtimeVersion, driverVersion, libraries);

    /// <summary>One line for logs: the devices, or the reason.</summary>
    public override string ToString() => IsAvailable
        ? $"{DeviceCount} CUDA device(s): {string.Join("; ", Devices)}; runtime {RuntimeVersion}, driver {DriverVersion}"
        : $"no CUDA device: {Reason}";
}
