using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda.Interop;

namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// Provides the <c>cuda</c> backend (priority 20, above openblas and managed). <see cref="TryCreate"/> loads the CUDA
/// 13/12 runtime, cuBLAS, cuSOLVER and driver libraries, checks that the configured device exists, creates the
/// backend and verifies it with <see cref="BackendVerification"/> (a GEMM and a 2×2 eigen-problem of known result); any failure is a false return whose reason
/// names the missing library (and the files tried), the failing call and its status, or the wrong value.
/// </summary>
public sealed partial class CudaBackendProvider : IBlasBackendProvider
{
    /// <summary>The backend's name, as accepted by <c>UWS_BLAS</c>.</summary>
    public const string BackendName = "cuda";

    /// <summary>The provider's priority.</summary>
    public const int DefaultPriority = 20;

    private readonly Func<CudaBackendOptions> _options;
    private readonly CudaLibraryCandidates? _candidates;
    private readonly ILogger _logger;

    /// <summary>Creates the provider for DI, reading validated options when <see cref="TryCreate"/> runs.</summary>
    public CudaBackendProvider(IOptions<CudaBackendOptions> options, ILogger<CudaBackendProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = () => options.Value;
        _logger = logger ?? NullLogger<CudaBackendProvider>.Instance;
    }

    /// <summary>
    /// Creates the provider with explicit options and, optionally, explicit library candidates (null: this
    /// platform's CUDA 13/12 names, resolved once per process).
    /// </summary>
    public CudaBackendProvider(CudaBackendOptions options, CudaLibraryCandidates? candidates, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = new CudaBackendOptionsValidator().Validate(null, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(CudaBackendOptions), typeof(CudaBackendOptions), result.Failures);
        }

        _options = () => options;
        _candidates = candidates;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <inheritdoc />
    public string Name => BackendName;

    /// <inheritdoc />
    public int Priority => DefaultPriority;

    /// <summary>
    /// Probes and creates the backend. On success <paramref name="reason"/> describes it (device, libraries, TF32,
    /// where bf16/f16 is widened); on failure it says why, e.g. "libcudart (CUDA runtime) could not be loaded:
    /// tried libcudart.so.13, …" or "cudaGetDeviceCount returned cudaErrorNoDevice (100): …".
    /// </summary>
    public bool TryCreate(out IBlasBackend? backend, out string reason)
    {
        backend = null;
        var options = _options();
        var loaded = _candidates is null
            ? CudaNativeLibraries.TryLoadDefault(out var libraries, out reason)
            : CudaNativeLibraries.TryLoad(_candidates, out libraries, out reason);
        if (!loaded)
        {
            return Unavailable(out reason, reason);
        }

        var error = libraries!.Runtime.TryGetDeviceCount(out var count);
        if (error != 0)
        {
            return Unavailable(out reason, $"cudaGetDeviceCount returned {libraries.Runtime.ErrorName(error)} ({error}): no usable NVIDIA GPU or driver.");
        }

        if (options.DeviceOrdinal >= count)
        {
            return Unavailable(out reason, count == 0
                ? "cudaGetDeviceCount found 0 CUDA devices."
                : $"{nameof(CudaBackendOptions.DeviceOrdinal)} {options.DeviceOrdinal} does not exist: {count} CUDA device(s).");
        }

        CudaBlasBackend? created = null;
        try
        {
            created = new CudaBlasBackend(libraries, options);
            if (!BackendVerification.Verify(created, out var failure))
            {
                created.Dispose();
                return Unavailable(out reason, $"verification on {created.DeviceName} failed: {failure}");
            }
        }
        catch (CudaException e)
        {
            created?.Dispose();
            return Unavailable(out reason, $"{e.Message} (while creating the backend on device {options.DeviceOrdinal})");
        }

        var widening = created.KernelsUnavailableReason.Length == 0 ? "device" : $"host ({created.KernelsUnavailableReason})";
        LogCreated(_logger, created.DeviceName, created.DeviceOrdinal, libraries.Describe(), created.UsesTensorFloat32, widening);
        backend = created;
        reason = $"{created.DeviceName} (device {created.DeviceOrdinal} of {count}); {libraries.Describe()}; TF32 {(created.UsesTensorFloat32 ? "on" : "off")}; bf16/f16 widening on {widening}";
        return true;
    }

    private bool Unavailable(out string reason, string why)
    {
        reason = why;
        LogUnavailable(_logger, why);
        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "CUDA backend ready on {DeviceName} (device {Ordinal}); libraries {Libraries}; TF32 {Tf32}; bf16/f16 widening on {Widening}")]
    private static partial void LogCreated(ILogger logger, string deviceName, int ordinal, string libraries, bool tf32, string widening);

    [LoggerMessage(Level = LogLevel.Debug, Message = "CUDA backend unavailable: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
