using Microsoft.Extensions.Hosting;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// Runs the <see cref="BasisEventHub"/>: its publishing loop, and a renewal of its grain-observer subscriptions every
/// <see cref="RenewPeriod"/>, well inside the silo's observer expiry (5 minutes), which also picks up layers that
/// appeared since a client subscribed.
/// </summary>
/// <param name="hub">The hub.</param>
/// <param name="time">Clock (tests pass a fake).</param>
public sealed class BasisStreamService(BasisEventHub hub, TimeProvider time) : BackgroundService
{
    /// <summary>Time between renewals.</summary>
    public static readonly TimeSpan RenewPeriod = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(IgnoreStop(hub.PublishAsync(stoppingToken), stoppingToken), IgnoreStop(RenewAsync(stoppingToken), stoppingToken));

    private async Task RenewAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RenewPeriod, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await hub.RenewAsync().ConfigureAwait(false);
        }
    }

    private static async Task IgnoreStop(Task task, CancellationToken stoppingToken)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the host is stopping
        }
    }
}
