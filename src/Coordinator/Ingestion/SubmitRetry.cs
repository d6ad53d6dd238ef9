using Orleans.Runtime;
using Orleans.Storage;
using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Ingestion;

/// <summary>
/// Submits a model again when the call failed because the cluster did — a silo died under the call, a duplicate
/// registry activation lost a storage race during a membership change (Orleans deactivates it and the next call reads
/// fresh state), a message was rejected or timed out. A submission is idempotent (the registry and every slice know
/// the ids they hold), so a retry can only complete the model. A bad model never throws: the registry rejects it with
/// the reason.
/// </summary>
public static class SubmitRetry
{
    /// <summary>Calls made at most for one model.</summary>
    public const int Attempts = 5;

    /// <summary>Wait before the first retry; doubled before each further one (0.5, 1, 2, 4 s).</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Submits <paramref name="model"/>, retrying cluster faults (<see cref="IsClusterFault"/>) up to <see cref="Attempts"/>
    /// calls, waiting <paramref name="firstDelay"/> (default <see cref="FirstDelay"/>) before the first retry and twice as
    /// long before each further one. The last failure propagates.
    /// </summary>
    public static async Task<SubmitResult> SubmitAsync(
        IFleetGrain fleet, ModelReference model, CancellationToken cancellationToken = default, TimeSpan? firstDelay = null)
    {
        ArgumentNullException.ThrowIfNull(fleet);
        ArgumentNullException.ThrowIfNull(model);
        var delay = firstDelay ?? FirstDelay;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await fleet.SubmitAsync(model).ConfigureAwait(false);
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
