using OrleansUws.Numerics.Cuda;
using OrleansUws.Numerics.Cuda.Interop;
using Xunit;

namespace OrleansUws.Numerics.Tests.Cuda;

public sealed class CudaLibraryResolutionTests
{
    private static readonly string[] MissingDirectory = ["no-such-cuda-dir"];

    private static CudaLibraryCandidates Missing() => new(
        ["libcudart.so.999"], ["libcublas.so.999"], ["libcusolver.so.999"], ["libcuda.so.999"], MissingDirectory);

    [Fact]
    public void ProviderWithMissingRuntimeReturnsFalseNamingTheLibraryAndTheFilesTried()
    {
        var provider = new CudaBackendProvider(new CudaBackendOptions(), Missing(), logger: null);

        var created = provider.TryCreate(out var backend, out var reason);

        Assert.False(created);
        Assert.Null(backend);
        Assert.StartsWith("libcudart (CUDA runtime) could not be loaded: tried libcudart.so.999", reason, StringComparison.Ordinal);
        Assert.Contains("libcudart.so.999", reason, StringComparison.Ordinal);
        Assert.Contains("no-such-cuda-dir", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ProviderAdvertisesNameAndPriority()
    {
        var provider = new CudaBackendProvider(new CudaBackendOptions(), Missing(), logger: null);

        Assert.Equal("cuda", provider.Name);
        Assert.Equal(20, provider.Priority);
    }

    [Fact]
    public void LibraryWithoutCudaExportsIsRejectedNamingFileAndSymbol()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "uses the C library as a library that is not CUDA");
        string[] libc = ["libc.so.6"];
        var candidates = new CudaLibraryCandidates(libc, libc, libc, libc, []);

        var loaded = CudaNativeLibraries.TryLoad(candidates, out var libraries, out var reason);

        Assert.False(loaded);
        Assert.Null(libraries);
        Assert.Equal("libc.so.6 does not export cudaGetErrorName.", reason);
    }

    [Fact]
    public void ProbeWithMissingLibrariesFindsNoDeviceAndSaysWhy()
    {
        var result = CudaDeviceProbe.Probe(Missing());

        Assert.False(result.IsAvailable);
        Assert.Equal(0, result.DeviceCount);
        Assert.Equal(0UL, result.TotalMemoryBytes);
        Assert.Contains("libcudart.so.999", result.Reason, StringComparison.Ordinal);
        Assert.StartsWith("no CUDA device: libcudart", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultProbeEitherListsRealDevicesOrGivesAReason()
    {
        var result = CudaDeviceProbe.Probe();

        if (result.IsAvailable)
        {
            Assert.Empty(result.Reason);
            Assert.All(result.Devices, device =>
            {
                Assert.False(string.IsNullOrWhiteSpace(device.Name));
                Assert.True(device.TotalMemoryBytes > 0);
                Assert.InRange(device.FreeMemoryBytes, 1UL, device.TotalMemoryBytes);
                Assert.True(device.ComputeCapabilityMajor >= 5);
            });
            Assert.Equal(Enumerable.Range(0, result.DeviceCount), result.Devices.Select(device => device.Ordinal));
        }
        else
        {
            Assert.True(
                result.Reason.Contains("could not be loaded", StringComparison.Ordinal)
                || result.Reason.StartsWith("cudaGetDeviceCount", StringComparison.Ordinal),
                result.Reason);
        }
    }

    [Fact]
    public void DefaultCandidatesCoverCuda13And12()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "Linux sonames");
        var candidates = CudaLibraryCandidates.ForCurrentPlatform();

        Assert.Equal(["libcudart.so.13", "libcudart.so.12", "libcudart.so"], candidates.Runtime);
        Assert.Equal(["libcublas.so.13", "libcublas.so.12", "libcublas.so"], candidates.Blas);
        Assert.Equal(["libcusolver.so.12", "libcusolver.so.11", "libcusolver.so"], candidates.Solver);
        Assert.Equal("libcuda.so.1", candidates.Driver[0]);
        Assert.Contains("/usr/local/cuda/lib64", candidates.SearchDirectories);
    }
}
