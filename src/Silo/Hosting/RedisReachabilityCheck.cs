using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace OrleansUws.Silo.Hosting;

/// <summary>
/// Checks, before anything else starts, that the silo's Redis (clustering and grain storage) answers; when it does not,
/// the silo stops at once with a message naming the endpoint instead of aborting later inside Orleans' start-up.
/// </summary>
/// <param name="connectionString">The silo's Redis connection string.</param>
public sealed class RedisReachabilityCheck(string connectionString) : IHostedLifecycleService
{
    /// <summary>How long the check waits for Redis.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = (int)Timeout.TotalMilliseconds;
        options.ConnectRetry = 1;
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            await connection.GetDatabase().PingAsync().ConfigureAwait(false);
        }
        catch (RedisConnectionException ex)
        {
            throw new InvalidOperationException($"Redis at {string.Join(", ", options.EndPoints)} (Uws:Silo:RedisConnectionString) is unreachable: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
