using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda;
using Xunit;

namespace OrleansUws.Numerics.Tests.Cuda;

public sealed class CudaRegistrationTests
{
    [Fact]
    public void AddCudaBackendTwiceRegistersOneProviderAndOneValidator()
    {
        var services = new ServiceCollection();

        services.AddCudaBackend().AddCudaBackend();
        using var provider = services.BuildServiceProvider();

        var backendProvider = Assert.Single(provider.GetServices<IBlasBackendProvider>());
        Assert.IsType<CudaBackendProvider>(backendProvider);
        Assert.Equal("cuda", backendProvider.Name);
        Assert.Single(provider.GetServices<IValidateOptions<CudaBackendOptions>>());
    }

    [Fact]
    public void InvalidOptionsFailWithEveryProblemNamed()
    {
        var services = new ServiceCollection();
        services.AddCudaBackend(options =>
        {
            options.DeviceOrdinal = -1;
            options.HostEigenMaxOrder = -5;
            options.StagingChunkBytes = 1024;
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CudaBackendOptions>>().Value);

        Assert.Equal(3, error.Failures.Count());
        Assert.Contains(error.Failures, failure => failure.StartsWith("HostEigenMaxOrder must be ≥ 0 (was -5)", StringComparison.Ordinal));
        Assert.Contains(error.Failures, failure => failure.StartsWith("DeviceOrdinal must be ≥ 0 (was -1)", StringComparison.Ordinal));
        Assert.Contains(error.Failures, failure => failure.StartsWith("StagingChunkBytes must be ≥ 65536 (was 1024)", StringComparison.Ordinal));
    }

    [Fact]
    public void ExplicitInvalidOptionsAreRejectedAtConstruction()
    {
        var error = Assert.Throws<OptionsValidationException>(() =>
            new CudaBackendProvider(new CudaBackendOptions { DeviceOrdinal = -2 }, candidates: null, logger: null));

        Assert.Contains("DeviceOrdinal", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidDefaultsPass() =>
        Assert.True(new CudaBackendOptionsValidator().Validate(null, new CudaBackendOptions()).Succeeded);
}
