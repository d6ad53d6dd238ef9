using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace OrleansUws.Silo.Hosting;

/// <summary>Healthy when this silo is an active member of its cluster (part of <c>/health</c>, not of <c>/alive</c>).</summary>
public sealed class SiloStatusHealthCheck(ISiloStatusOracle oracle) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(oracle.CurrentStatus == SiloStatus.Active
            ? HealthCheckResult.Healthy($"silo {oracle.SiloAddress} is active")
            : HealthCheckResult.Unhealthy($"silo {oracle.SiloAddress} is {oracle.CurrentStatus}"));
}
