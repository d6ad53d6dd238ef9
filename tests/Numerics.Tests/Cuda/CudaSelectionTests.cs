using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda;
using OrleansUws.Numerics.Cuda.Interop;
using OrleansUws.Numerics.Hosting;
using Xunit;

namespace OrleansUws.Numerics.Tests.Cuda;

/// <summary>How the numerics selector treats the CUDA provider when CUDA is missing (forced: a clear error; auto: fall back).</summary>
public sealed class CudaSelectionTests
{
    private static CudaBackendProvider MissingCuda() => new(
        new CudaBackendOptions(),
        new CudaLibraryCandidates(["libcudart.so.999"], ["libcublas.so.999"], ["libcusolver.so.999"], ["libcuda.so.999"], []),
        logger: null);

    [Fact]
    public void ForcedCudaWithoutLibrariesFailsNamingBackendAndReason()
    {
        var selector = new BlasBackendSelector([MissingCuda(), new ManagedBlasBackendProvider()], Options.Create(new BlasOptions { Backend = "cuda" }));

        var error = Assert.Throws<InvalidOperationException>(() => selector.Selected);

        Assert.Contains("BLAS backend 'cuda' was forced", error.Message, StringComparison.Ordinal);
        Assert.Contains("libcudart (CUDA runtime) could not be loaded: tried libcudart.so.999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AutoSelectionFallsBackAndReportsWhyCudaWasSkipped()
    {
        var selector = new BlasBackendSelector([MissingCuda(), new ManagedBlasBackendProvider()], Options.Create(new BlasOptions()));

        Assert.Equal("managed", selector.Selected.Name);
        Assert.StartsWith("cuda: skipped: libcudart (CUDA runtime) could not be loaded", selector.Report[0], StringComparison.Ordinal);
    }

    [Fact]
    public void ForcedCudaThroughDependencyInjectionGivesTheCudaBackendOrSaysWhyNot()
    {
        var forced = Environment.GetEnvironmentVariable(BlasOptions.EnvironmentVariable);
        Assert.SkipWhen(forced is not null && forced != "cuda", $"UWS_BLAS={forced} overrides the configured backend in this process");
        var services = new ServiceCollection();
        services.AddUwsNumerics(options => options.Backend = "cuda").AddCudaBackend();
        using var provider = services.BuildServiceProvider();

        if (CudaDeviceProbe.Probe() is { IsAvailable: false } probe)
        {
            var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IBlasBackend>());
            Assert.Contains("BLAS backend 'cuda' was forced", error.Message, StringComparison.Ordinal);
            Assert.Contains(probe.Reason.Split(" (")[0], error.Message, StringComparison.Ordinal);
        }
        else
        {
            var backend = provider.GetRequiredService<IBlasBackend>();
            Assert.IsType<CudaBlasBackend>(backend);
            Assert.Equal("cuda", backend.Name);
        }
    }
}
