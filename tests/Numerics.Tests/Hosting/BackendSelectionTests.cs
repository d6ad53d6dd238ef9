using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Hosting;
using OrleansUws.Numerics.Sketching;
using Xunit;

namespace OrleansUws.Numerics.Tests.Hosting;

public sealed class BackendSelectionTests
{
    [Fact]
    public void AutoPicksTheHighestPriorityAvailableProviderAndReportsTheSkipped()
    {
        var providers = new IBlasBackendProvider[] { new ManagedBlasBackendProvider(), new AbsentProvider() };
        var selector = new BlasBackendSelector(providers, Options.Create(new BlasOptions()));
        Assert.Equal("managed", selector.Selected.Name);
        Assert.Equal("absent: skipped: no such device in this test", selector.Report[0]);
        Assert.StartsWith("managed: chosen (priority 0)", selector.Report[1]);
    }

    [Fact]
    public void ForcedUnavailableBackendFailsWithItsReason()
    {
        var providers = new IBlasBackendProvider[] { new ManagedBlasBackendProvider(), new AbsentProvider() };
        var selector = new BlasBackendSelector(providers, Options.Create(new BlasOptions { Backend = "absent" }));
        var ex = Assert.Throws<InvalidOperationException>(() => selector.Selected);
        Assert.Contains("no such device in this test", ex.Message);
    }

    [Fact]
    public void EnvironmentVariableOverridesConfiguredBackend()
    {
        var options = new BlasOptions { Backend = "openblas" };
        new BlasEnvironmentPostConfigure(name => name == "UWS_BLAS" ? " managed " : null).PostConfigure(null, options);
        Assert.Equal("managed", options.Backend);
        new BlasEnvironmentPostConfigure(_ => null).PostConfigure(null, options);
        Assert.Equal("managed", options.Backend);
    }

    [Fact]
    public void ValidatorReportsEveryFailure()
    {
        var validator = new BlasOptionsValidator([new ManagedBlasBackendProvider(), new ManagedBlasBackendProvider()]);
        var result = validator.Validate(null, new BlasOptions { Backend = "quantum" });
        Assert.True(result.Failed);
        Assert.Equal(2, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.Contains("'quantum'"));
        Assert.Contains(result.Failures!, f => f.Contains("share the name"));
        var single = new BlasOptionsValidator([new ManagedBlasBackendProvider()]);
        Assert.True(single.Validate(null, new BlasOptions { Backend = "AUTO" }).Succeeded);
        Assert.True(single.Validate(null, new BlasOptions { Backend = "Managed" }).Succeeded);
        Assert.Contains("empty", single.Validate(null, new BlasOptions { Backend = " " }).FailureMessage);
    }

    [Fact]
    public void NegativeThreadsPerCallIsRejectedNamingTheOption()
    {
        var result = new OpenBlasOptionsValidator().Validate(null, new OpenBlasOptions { ThreadsPerCall = -2 });
        Assert.True(result.Failed);
        Assert.Equal("OpenBlasOptions.ThreadsPerCall is -2; use 0 (the library's default) or a positive thread count.", Assert.Single(result.Failures!));
        Assert.Equal(1, new OpenBlasOptions().ThreadsPerCall);
    }

    [Fact]
    public void OpenBlasProviderFromOptionsAppliesTheThreadCount()
    {
        var provider = new OpenBlasBackendProvider(Options.Create(new OpenBlasOptions { ThreadsPerCall = 1 }));
        if (!provider.TryCreate(out var backend, out string reason))
        {
            Assert.Skip($"OpenBLAS unavailable: {reason}");
        }

        Assert.Equal("openblas", backend!.Name);
        Assert.Contains("loaded and verified, 1 thread(s) per call; sketch shrinks: Gram ", reason);
        Assert.True(new OpenBlasBackendProvider().TryCreate(out _, out string libraryDefault));
        Assert.Contains("loaded and verified, library-default threads; sketch shrinks: Gram ", libraryDefault);

        // It names the kernels OpenBLAS chose (or was told to use: OPENBLAS_CORETYPE), so an operator sees an AVX2 core on an AVX-512 CPU.
        Assert.Matches(@"^libopenblas[^ ]* \([A-Za-z0-9]+ kernels\) loaded and verified", reason);
        if (Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is { Length: > 0 } forced)
        {
            Assert.Contains($"({forced} kernels)", reason, StringComparison.OrdinalIgnoreCase);
        }
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            Assert.EndsWith("Gram host kernel (AVX2+FMA), rotation host kernel (AVX-512, in place)", reason);
        }
    }

    [Fact]
    public void AddUwsNumericsIsIdempotentAndResolvesTheForcedBackend()
    {
        var services = new ServiceCollection();
        services.AddUwsNumerics(o => o.Backend = "managed");
        services.AddUwsNumerics();
        Assert.Equal(2, services.Count(s => s.ServiceType == typeof(IBlasBackendProvider)));
        Assert.Single(services, s => s.ServiceType == typeof(IBlasBackend));
        using var provider = services.BuildServiceProvider();
        string expected = Environment.GetEnvironmentVariable("UWS_BLAS") is { Length: > 0 } forced ? forced.Trim() : "managed";
        Assert.Equal(expected, provider.GetRequiredService<IBlasBackend>().Name);
        Assert.Same(provider.GetRequiredService<IBlasBackend>(), provider.GetRequiredService<CovarianceSketchFactory>().Backend);
        Assert.NotNull(provider.GetRequiredService<SubspaceBasisSolver>());
    }

    [Fact]
    public void InvalidOptionsFailResolutionWithTheMessage()
    {
        var services = new ServiceCollection();
        services.AddUwsNumerics(o => o.Backend = "quantum");
        using var provider = services.BuildServiceProvider();
        if (Environment.GetEnvironmentVariable("UWS_BLAS") is { Length: > 0 })
        {
            Assert.Skip("UWS_BLAS is set and overrides the configured backend.");
        }

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IBlasBackend>());
        Assert.Contains("'quantum'", ex.Message);
    }

    private sealed class AbsentProvider : IBlasBackendProvider
    {
        public string Name => "absent";

        public int Priority => 50;

        public bool TryCreate(out IBlasBackend? backend, out string reason)
        {
            backend = null;
            reason = "no such device in this test";
            return false;
        }
    }
}
