using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Serialization;
using Orleans.Serialization.Session;
using Orleans.Storage;
using OrleansUws.Grains;
using OrleansUws.Grains.Options;
using OrleansUws.Grains.Placement;
using OrleansUws.Grains.Telemetry;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda;
using OrleansUws.Numerics.Hosting;
using OrleansUws.Silo.Options;
using StackExchange.Redis;

namespace OrleansUws.Silo.Hosting;

/// <summary>
/// The one way to host the UWS grains: used by the Silo's Program.cs, the coordinator's embedded mode and the
/// tests' in-process cluster.
/// </summary>
public static class UwsSiloHostingExtensions
{
    /// <summary>
    /// Runs an Orleans silo in this host with the UWS grains: localhost clustering and in-memory storage by default,
    /// Redis clustering and Redis storage when <c>Uws:Silo:RedisConnectionString</c> is set. Binds and validates
    /// <see cref="UwsSiloOptions"/> (<c>Uws:Silo</c>) at start and adds the <see cref="SiloStatusHealthCheck"/> to
    /// <c>/health</c>. Idempotent: a second call changes nothing.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="configure">Further silo configuration (runs last).</param>
    /// <param name="gpuProbe">
    /// Asked what GPU this machine has when configuration does not say; default <see cref="GpuAdvertisement.ProbeCuda"/>.
    /// </param>
    public static IHostApplicationBuilder AddUwsSilo(
        this IHostApplicationBuilder builder, Action<ISiloBuilder>? configure = null, Func<GpuAdvertisement?>? gpuProbe = null)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(UwsSiloMarker)))
        {
            return builder;
        }

        builder.Services.AddSingleton<UwsSiloMarker>();
        builder.Services.AddHealthChecks().AddCheck<SiloStatusHealthCheck>("orleans-silo");
        var options = ReadSiloOptions(builder.Configuration);
        builder.UseOrleans(silo =>
        {
            if (string.IsNullOrWhiteSpace(options.RedisConnectionString))
            {
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            }
            else
            {
                var redis = ConfigurationOptions.Parse(options.RedisConnectionString);
                silo.UseRedisClustering(o => o.ConfigurationOptions = redis);
                silo.Configure<Orleans.Configuration.ClusterOptions>(o =>
                {
                    o.ClusterId = options.ClusterId;
                    o.ServiceId = options.ServiceId;
                });
                if (System.Net.IPAddress.TryParse(options.AdvertisedAddress, out var address))
                {
                    silo.ConfigureEndpoints(address, options.SiloPort, options.GatewayPort);
                }
                else
                {
                    silo.ConfigureEndpoints(options.SiloPort, options.GatewayPort);
                }
            }

            // Failure detection (probe timeouts, missed probes, votes): Orleans' own options, from Uws:Silo:Membership;
            // Orleans validates them when the silo starts (e.g. "ClusterMembershipOptions.ProbeTimeout (…) must be greater than 0").
            silo.Services.AddOptions<Orleans.Configuration.ClusterMembershipOptions>()
                .Bind(builder.Configuration.GetSection(MembershipSectionName));
            silo.AddUwsGrains(gpuProbe);
            configure?.Invoke(silo);
        });
        return builder;
    }

    /// <summary>
    /// Adds the UWS grains' services to a silo without choosing its clustering (what a test-cluster configurator
    /// calls): the grain storage <see cref="UwsStorage.Name"/> (Redis when <c>Uws:Silo:RedisConnectionString</c> is set,
    /// else in this process with <c>Uws:Silo:InProcessStorage</c>, else Orleans' memory storage; slices checkpoint to
    /// Redis every 32 models or 2 s, whichever first, but only on deactivation to memory, unless <c>Uws:Cluster:SliceCheckpointEveryModels</c> / <c>SliceCheckpointIntervalSeconds</c> say otherwise), silo metadata advertising the GPU
    /// (<see cref="GpuSiloMetadata"/>), the GPU-aware placement, the
    /// cluster options (<c>Uws:Cluster</c>) and the numerics backends (<c>AddUwsNumerics</c>, <c>AddCudaBackend</c>:
    /// CUDA when it probes well, else OpenBLAS, else managed; <c>UWS_BLAS</c> forces one). Idempotent.
    /// </summary>
    public static ISiloBuilder AddUwsGrains(this ISiloBuilder silo, Func<GpuAdvertisement?>? gpuProbe = null)
    {
        if (silo.Services.Any(d => d.ServiceType == typeof(UwsGrainsMarker)))
        {
            return silo;
        }

        silo.Services.AddSingleton<UwsGrainsMarker>();
        var options = ReadSiloOptions(silo.Configuration);
        silo.Services.AddOptions<UwsSiloOptions>().Bind(silo.Configuration.GetSection(UwsSiloOptions.SectionName)).ValidateOnStart();
        silo.Services.AddSingleton<IValidateOptions<UwsSiloOptions>, UwsSiloOptionsValidator>();

        var durable = !string.IsNullOrWhiteSpace(options.RedisConnectionString);
        silo.Services.PostConfigure<UwsClusterOptions>(o =>
        {
            if (o.SliceCheckpointEveryModels == 0)
            {
                o.SliceCheckpointEveryModels = durable ? 32 : int.MaxValue;
            }

            o.SliceCheckpointIntervalSeconds ??= durable ? 2 : 0;
        });
        if (!durable && options.InProcessStorage)
        {
            silo.Services.AddGrainStorage(UwsStorage.Name, (services, _) => new InProcessGrainStorage(services.GetRequiredService<DeepCopier>()));
        }
        else if (!durable)
        {
            silo.AddMemoryGrainStorage(UwsStorage.Name);
            // Memory storage also copies every write through its serializer (Newtonsoft JSON by default): a basis
            // version's vectors as JSON cost as much CPU as the sketch work of a whole run. Binary, as with Redis.
            UsePooledSerializer<Orleans.Configuration.MemoryGrainStorageOptions>(silo.Services);
        }
        else
        {
            var redis = ConfigurationOptions.Parse(options.RedisConnectionString!);
            silo.Services.AddHostedService(_ => new RedisReachabilityCheck(options.RedisConnectionString!));
            silo.AddRedisGrainStorage(UwsStorage.Name, o => o.ConfigurationOptions = redis);
            // Sketches are large float payloads: store them with Orleans' binary serializer, not JSON.
            UsePooledSerializer<Orleans.Persistence.RedisStorageOptions>(silo.Services);
        }

        var gpu = GpuAdvertisement.Resolve(options.Gpu, gpuProbe ?? GpuAdvertisement.ProbeCuda);
        silo.UseSiloMetadata(GpuSiloMetadata.Create(gpu.HasGpu, gpu.MemoryBytes));
        silo.Services.AddSingleton(gpu);
        silo.Services.AddSingleton<ISiloTelemetrySource>(sp => new SiloTelemetrySource(new Lazy<IBlasBackend>(sp.GetRequiredService<IBlasBackend>), gpu));
        silo.AddActivityPropagation();
        silo.Services.AddUwsGrainServices(silo.Configuration);
        silo.Services.AddUwsNumerics();
        silo.Services.AddCudaBackend();
        var numerics = silo.Configuration.GetSection(NumericsSectionName);
        silo.Services.AddOptions<BlasOptions>().Bind(numerics);
        silo.Services.AddOptions<OpenBlasOptions>().Bind(numerics.GetSection("OpenBlas"));
        silo.Services.AddOptions<CudaBackendOptions>().Bind(numerics.GetSection("Cuda"));
        return silo;
    }

    /// <summary>
    /// Configuration section of the numerics backends: <c>Backend</c> (auto|cuda|openblas|managed; <c>UWS_BLAS</c>
    /// overrides), <c>OpenBlas:ThreadsPerCall</c> (default 1), <c>Cuda:*</c> (device ordinal, TF32, staging).
    /// </summary>
    public const string NumericsSectionName = "Uws:Numerics";

    /// <summary>
    /// Configuration section bound to Orleans' <c>ClusterMembershipOptions</c> (e.g. <c>ProbeTimeout</c>,
    /// <c>NumMissedProbesLimit</c>, <c>NumVotesForDeathDeclaration</c>): how fast a failed silo is declared dead.
    /// Orleans' defaults apply to anything not set; Orleans validates the values when the silo starts.
    /// </summary>
    public const string MembershipSectionName = "Uws:Silo:Membership";

    /// <summary>The uws storage writes Orleans' binary format through pooled buffers (<see cref="PooledGrainStorageSerializer"/>).</summary>
    private static void UsePooledSerializer<TOptions>(IServiceCollection services)
        where TOptions : class, IStorageProviderSerializerOptions =>
        services.AddOptions<TOptions>(UwsStorage.Name)
            .Configure<Serializer, SerializerSessionPool>((o, serializer, sessions) => o.GrainStorageSerializer = new PooledGrainStorageSerializer(serializer, sessions));

    private static UwsSiloOptions ReadSiloOptions(IConfiguration configuration)
    {
        var options = new UwsSiloOptions();
        configuration.GetSection(UwsSiloOptions.SectionName).Bind(options);
        return options;
    }

    /// <summary>Marks a host to which <see cref="AddUwsSilo"/> was applied.</summary>
    private sealed class UwsSiloMarker;

    /// <summary>Marks a silo to which <see cref="AddUwsGrains"/> was applied.</summary>
    private sealed class UwsGrainsMarker;
}
