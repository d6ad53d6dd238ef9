using System.Globalization;
using OrleansUws.Cluster.Tests.Coordinator;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Ingestion;
using Xunit;

namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>
/// Real silo processes (the built <c>OrleansUws.Silo.dll</c>, which the test project's reference copies beside the
/// test assembly, run with <c>dotnet</c>) on Redis clustering and Redis grain storage of a private redis-server,
/// configured only by environment variables, plus the coordinator's cluster client (<see cref="UwsSession"/>) connected
/// to the gateway of silo 0. Start waits on conditions: every silo's <c>/health</c> (silo Active) and the cluster's
/// membership listing every silo. Dispose kills every process; <see cref="Output"/> holds everything they wrote.
/// </summary>
internal sealed class SiloProcessCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly RedisServer _redis;
    private readonly List<SiloProcess> _silos = [];
    private UwsSession? _session;

    private SiloProcessCluster(RedisServer redis, string clusterId)
    {
        _redis = redis;
        ClusterId = clusterId;
    }

    public string ClusterId { get; }

    public IReadOnlyList<SiloProcess> Silos => _silos;

    public IClusterClient Client => _session!.Client;

    /// <summary>The redis-server's endpoint (host:port), for clients that use it directly (the ingestion queue).</summary>
    public string Redis => _redis.ConnectionString;

    /// <summary>Everything redis-server and the silos wrote, for assertion messages.</summary>
    public string Output => string.Join(System.Environment.NewLine, _silos.Select(s => s.Process.Output).Prepend(_redis.Process.Output));

    /// <summary>
    /// Starts redis-server and <paramref name="silos"/> silo processes with the given extra settings (configuration keys
    /// with ':'; passed as environment variables with '__'). Skips the test when redis-server is not installed.
    /// </summary>
    public static async Task<SiloProcessCluster> StartAsync(string clusterId, int silos, IReadOnlyDictionary<string, string> settings)
    {
        var redisServer = RedisServer.Find();
        if (redisServer is null)
        {
            Assert.Skip("redis-server is not on PATH (apt-get install redis-server)");
        }

        var siloDll = Path.Combine(AppContext.BaseDirectory, "OrleansUws.Silo.dll");
        if (!File.Exists(siloDll))
        {
            throw new FileNotFoundException($"The silo is not beside the tests (the project reference copies it): {siloDll}", siloDll);
        }

        var cluster = new SiloProcessCluster(await RedisServer.StartAsync(redisServer), clusterId);
        try
        {
            for (var i = 0; i < silos; i++)
            {
                cluster._silos.Add(SiloProcess.Start(i, siloDll, cluster.Environment(settings)));
            }

            await Task.WhenAll(cluster._silos.Select(s => cluster.UntilHealthyAsync(s)));
            cluster._session = await cluster.ConnectAsync(0);
            await cluster.UntilActiveSilosAsync(silos);
            return cluster;
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            var output = cluster.Output;
            await cluster.DisposeAsync();
            throw new InvalidOperationException($"{ex.Message}{System.Environment.NewLine}{output}", ex);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="body"/>; a failure (assertion or exception) is rethrown with the tail of every process's
    /// output appended.
    /// </summary>
    public async Task AssertAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception ex) when (ex is not Xunit.Sdk.SkipException)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}{System.Environment.NewLine}{Output}", ex);
        }
    }

    /// <summary>Connects <see cref="Client"/> through silo <paramref name="silo"/>'s gateway instead (e.g. before killing the silo it used).</summary>
    public async Task UseGatewayAsync(int silo)
    {
        var previous = _session;
        _session = await ConnectAsync(silo);
        if (previous is not null)
        {
            await previous.DisposeAsync();
        }
    }

    /// <summary>Kills silo <paramref name="index"/> with SIGKILL and waits until the cluster has declared it dead.</summary>
    public async Task KillAsync(int index)
    {
        await _silos[index].Process.KillAsync();
        await UntilActiveSilosAsync(_silos.Count(s => !s.Process.HasExited));
    }

    /// <summary>The index of the silo process with this Orleans silo address (matched by its silo port).</summary>
    public int IndexOf(SiloAddress silo) => _silos.FindIndex(s => s.SiloPort == silo.Endpoint.Port);

    /// <summary>The index of the silo process with this silo address string (as <c>SliceInfo.Silo</c> gives it: S{ip}:{port}:{generation}).</summary>
    public int IndexOf(string silo) => _silos.FindIndex(s => silo.Contains($":{s.SiloPort.ToString(CultureInfo.InvariantCulture)}:", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        if (_session is not null)
        {
            await _session.DisposeAsync();
        }

        foreach (var silo in _silos)
        {
            silo.Process.Dispose();
        }

        _redis.Dispose();
    }

    private Dictionary<string, string> Environment(IReadOnlyDictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["Uws:Silo:RedisConnectionString"] = _redis.ConnectionString,
            ["Uws:Silo:ClusterId"] = ClusterId,
            ["Uws:Silo:ServiceId"] = ClusterId,
            ["Uws:Silo:AdvertisedAddress"] = "127.0.0.1",
            ["Uws:Silo:Gpu:Enabled"] = "false",
            // A killed silo is declared dead after about two missed 2 s probes (Orleans' defaults take ~15 s or more): long
            // enough for a model submitted right after the kill to reach the dead silo, short enough for a quick test.
            ["Uws:Silo:Membership:ProbeTimeout"] = "00:00:02",
            ["Uws:Silo:Membership:NumMissedProbesLimit"] = "2",
            ["Uws:Silo:Membership:NumVotesForDeathDeclaration"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
            ["DOTNET_gcServer"] = "0",
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return environment.ToDictionary(p => p.Key.Replace(":", "__", StringComparison.Ordinal), p => p.Value);
    }

    private async Task UntilHealthyAsync(SiloProcess silo)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await TestWait.UntilAsync(
            async () =>
            {
                if (silo.Process.HasExited)
                {
                    throw new InvalidOperationException($"{silo.Process.Name} exited during start.");
                }

                try
                {
                    using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{silo.HttpPort}/health"));
                    return response.IsSuccessStatusCode;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    return false;
                }
            },
            $"{silo.Process.Name} answers /health (silo active)", StartTimeout);
    }

    // A client learns that the silo serving one of its calls died only by the call's timeout: 15 s here instead of the
    // CLI's 5 min default, so a call cut off by a kill fails (and is retried) within the test's time.
    private Task<UwsSession> ConnectAsync(int silo) => UwsSession.StartAsync(new ClusterConnectionOptions
    {
        Gateways = [$"127.0.0.1:{_silos[silo].GatewayPort}"],
        ClusterId = ClusterId,
        ServiceId = ClusterId,
        CallTimeout = TimeSpan.FromSeconds(15),
    });

    /// <summary>The index of the silo process hosting <paramref name="grain"/>'s activation (activating it if needed).</summary>
    public async Task<int> HostOfAsync(IAddressable grain)
    {
        var index = -1;
        await TestWait.UntilAsync(
            async () => await AskAsync(async () => index = IndexOf((await Client.GetGrain<IManagementGrain>(0).GetActivationAddress(grain))!)),
            "the management grain answers where the grain lives", StartTimeout);
        return index;
    }

    // The management grain is an ordinary grain: while a killed silo that hosted it is being declared dead, a call to it
    // fails with a cluster fault; the waits ask again.
    private Task UntilActiveSilosAsync(int count) =>
        TestWait.UntilAsync(
            async () => await AskAsync(async () => (await Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count == count),
            $"the cluster's membership lists {count} active silos", StartTimeout);

    private static async Task<bool> AskAsync(Func<Task<bool>> question)
    {
        try
        {
            return await question();
        }
        catch (Exception ex) when (ClusterRetry.IsClusterFault(ex))
        {
            return false;
        }
    }

    private static async Task<bool> AskAsync(Func<Task<int>> question) => await AskAsync(async () => await question() >= 0);
}

/// <summary>One silo process and its ports.</summary>
internal sealed record SiloProcess(CapturedProcess Process, int SiloPort, int GatewayPort, int HttpPort)
{
    public static SiloProcess Start(int index, string siloDll, Dictionary<string, string> environment)
    {
        int siloPort = FreePort.Next(), gatewayPort = FreePort.Next(), httpPort = FreePort.Next();
        var own = new Dictionary<string, string>(environment)
        {
            ["Uws__Silo__SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Uws__Silo__GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{httpPort}",
        };
        var dotnet = System.Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        return new SiloProcess(new CapturedProcess($"silo {index}", dotnet, ["exec", siloDll], own), siloPort, gatewayPort, httpPort);
    }
}
