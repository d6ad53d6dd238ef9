using Microsoft.Extensions.Hosting;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// Renews the <see cref="BasisEventHub"/>'s grain-observer subscriptions every <see cref="Period"/>, well inside
/// the silo's observer expiry (5 minutes), and picks up layers that appeared since a client subscribed.
/// </summary>
/// <param name="hub">The hub to renew.</param>
/// <param name="time">Clock (tests pass a fake).</param>
public sealed class BasisSubscriptionRenewer(BasisEventHub hub, TimeProvider time) : BackgroundService
{
    /// <summary>Time between renewals.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await hub.RenewAsync().ConfigureAwait(false);
        }
    }
}
