namespace OrleansUws.Numerics.Cuda;

/// <summary>One CUDA device as seen by <see cref="CudaDeviceProbe"/>.</summary>
/// <param name="Ordinal">The runtime's device ordinal.</param>
/// <param name="Name">The driver's name for it (e.g. "NVIDIA H200").</param>
/// <param name="TotalMemoryBytes">Device memory in bytes.</param>
/// <param name="FreeMemoryBytes">Device memory free at probe time, in bytes.</param>
/// <param name="ComputeCapabilityMajor">Major compute capability (9 for Hopper).</param>
/// <param name="ComputeCapabilityMinor">Minor compute capability.</param>
public sealed record CudaDeviceInfo(
    int Ordinal, string Name, ulong TotalMemoryBytes, ulong FreeMemoryBytes, int ComputeCapabilityMajor, int ComputeCapabilityMinor)
{
    /// <summary>"#0 NVIDIA H200 (sm_90, 143 GiB, 141 GiB free)".</summary>
    public override string ToString() =>
        $"#{Ordinal} {Name} (sm_{ComputeCapabilityMajor}{ComputeCapabilityMinor}, {TotalMemoryBytes >> 30} GiB, {FreeMemoryBytes >> 30} GiB free)";
}
