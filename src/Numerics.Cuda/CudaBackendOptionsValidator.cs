using Microsoft.Extensions.Options;

namespace OrleansUws.Numerics.Cuda;

/// <summary>Validates <see cref="CudaBackendOptions"/>, reporting every failure at once.</summary>
public sealed class CudaBackendOptionsValidator : IValidateOptions<CudaBackendOptions>
{
    /// <summary>Smallest accepted <see cref="CudaBackendOptions.StagingChunkBytes"/> (64 KiB).</summary>
    public const int MinimumStagingChunkBytes = 64 << 10;

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, CudaBackendOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.DeviceOrdinal < 0)
        {
            failures.Add($"{nameof(CudaBackendOptions.DeviceOrdinal)} must be ≥ 0 (was {options.DeviceOrdinal}).");
        }

        if (options.HostEigenMaxOrder < 0)
        {
            failures.Add($"{nameof(CudaBackendOptions.HostEigenMaxOrder)} must be ≥ 0 (was {options.HostEigenMaxOrder}).");
        }

        if (options.StagingChunkBytes < MinimumStagingChunkBytes)
        {
            failures.Add($"{nameof(CudaBackendOptions.StagingChunkBytes)} must be ≥ {MinimumStagingChunkBytes} (was {options.StagingChunkBytes}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
