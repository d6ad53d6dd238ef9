using Orleans.Runtime;
using Orleans.Storage;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Telemetry;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>
/// Makes an idempotent grain call again when it failed because the cluster did — a silo died under the call, a
/// duplicate registry activation lost a storage race during a membership change (Orleans deactivates it and the next
/// call reads fresh state), a message was rejected or timed out. A submission is idempotent (the registry and every
/// slice know the ids they hold), so a retry can only complete the model; a bad model never throws (the registry
/// rejects it with the reason). Reads are idempotent too.
/// </summary>
public static class ClusterRetry
{
    /// <summary>Calls made at most.</summary>
    public const int Attempts = 5;

    /// <summary>Wait before the first retry; doubled before each further one (0.5, 1, 2, 4 s).</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Submits <paramref name="model"/> through <see cref="CallAsync{T}"/>, in a <c>uws.model.ingest</c> span: the root
    /// of the model's trace, which Orleans' activity propagation carries to the registry and every slice. A
    /// <paramref name="cut"/> &gt; 0 submits it for that version cut (<see cref="IFleetGrain.SubmitForCutAsync"/>).
    /// </summary>
    public static async Task<SubmitResult> SubmitAsync(
        IFleetGrain fleet, ModelReference model, CancellationToken cancellationToken = default, TimeSpan? firstDelay = null, int cut = 0)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(model);
        using var span = UwsMetrics.ActivitySource.StartActivity(UwsTelemetryNames.IngestSpan);
        span?.SetTag(UwsTelemetryNames.ModelTag, model.ModelId);
        var result = await CallAsync(() => cut == 0 ? fleet.SubmitAsync(model) : fleet.SubmitForCutAsync(model, cut), cancellationToken, firstDelay).ConfigureAwait(false);
        span?.SetTag("uws.status", result.Status.ToString());
        return result;
    }

    /// <summary>
    /// Makes an idempotent grain call, retrying cluster faults (<see cref="IsClusterFault"/>) up to <see cref="Attempts"/>
    /// calls, waiting <paramref name="firstDelay"/> (default <see cref="FirstDelay"/>) before the first retry and twice as
    /// long before each further one. The last failure propagates.
    /// </summary>
    public static async Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken = default, TimeSpan? firstDelay = null)
    {
        ArgumentNullException.ThrowIfNull(call);
        var delay = firstDelay ?? FirstDelay;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (Exception ex) when (attempt < Attempts && IsClusterFault(ex))
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay *= 2;
            }
        }
    }

    /// <summary>Whether <paramref name="exception"/> is the cluster's failure rather than the request's.</summary>
    public static bool IsClusterFault(Exception exception) =>
        exception is InconsistentStateException or SiloUnavailableException or OrleansMessageRejectionException or TimeoutException;
}
