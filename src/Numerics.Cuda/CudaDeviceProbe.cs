using OrleansUws.Numerics.Cuda.Interop;

namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// Finds the CUDA devices of this machine (count, names, total and free memory, compute capability), or says
/// precisely why there are none, without throwing. Silos use it to advertise GPU capability. Reading free memory
/// makes the runtime create each device's primary context, so probe once at start-up, not per request.
/// </summary>
public static class CudaDeviceProbe
{
    /// <summary>Probes with the CUDA 13/12 library names of this platform.</summary>
    public static CudaProbeResult Probe() =>
        CudaNativeLibraries.TryLoadDefault(out var libraries, out var reason) ? Probe(libraries!) : CudaProbeResult.None(reason);

    /// <summary>Probes with the given library candidates (used to test resolution failures).</summary>
    public static CudaProbeResult Probe(CudaLibraryCandidates candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        return CudaNativeLibraries.TryLoad(candidates, out var libraries, out var reason) ? Probe(libraries!) : CudaProbeResult.None(reason);
    }

    internal static CudaProbeResult Probe(CudaNativeLibraries libraries)
    {
        var runtime = libraries.Runtime;
        var described = libraries.Describe();
        try
        {
            var runtimeVersion = runtime.RuntimeVersion();
            var driverVersion = runtime.DriverVersion();
            var error = runtime.TryGetDeviceCount(out var count);
            if (error != 0)
            {
                return CudaProbeResult.None(
                    $"cudaGetDeviceCount returned {runtime.ErrorName(error)} ({error}) (runtime {runtimeVersion}, driver supports {driverVersion}).",
                    runtimeVersion, driverVersion, described);
            }

            if (count == 0)
            {
                return CudaProbeResult.None("cudaGetDeviceCount found 0 CUDA devices.", runtimeVersion, driverVersion, described);
            }

            libraries.Driver.Init();
            var devices = new List<CudaDeviceInfo>(count);
            for (var ordinal = 0; ordinal < count; ordinal++)
            {
                runtime.SetDevice(ordinal);
                var (free, total) = runtime.MemoryInfo();
                devices.Add(new CudaDeviceInfo(
                    ordinal,
                    libraries.Driver.DeviceName(ordinal),
                    total,
                    free,
                    runtime.GetAttribute(CudaRuntimeApi.AttributeComputeCapabilityMajor, ordinal),
                    runtime.GetAttribute(CudaRuntimeApi.AttributeComputeCapabilityMinor, ordinal)));
            }

            runtime.SetDevice(0);
            return new CudaProbeResult(devices, string.Empty, runtimeVersion, driverVersion, described);
        }
        catch (CudaException e)
        {
            return CudaProbeResult.None(e.Message, libraries: described);
        }
    }
}
