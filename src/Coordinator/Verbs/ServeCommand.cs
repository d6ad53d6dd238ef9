using System.CommandLine;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansUws.Coordinator.Cli;
using OrleansUws.Coordinator.Hosting;
using OrleansUws.Coordinator.Http;
using OrleansUws.Silo.Hosting;
using Spectre.Console;

namespace OrleansUws.Coordinator.Verbs;

/// <summary><c>uws serve</c>: the HTTP gateway (REST + server-sent events), on an embedded silo or a cluster.</summary>
public sealed class ServeCommand : Command
{
    private static readonly ServeOptions Defaults = new();

    private readonly Option<string> _urls = new("--urls") { Description = $"Addresses to listen on (';'-separated); default: ASPNETCORE_URLS or URLS, else {ServeOptions.DefaultUrls}." };
    private readonly Option<string> _uploads = new("--upload-dir") { Description = "Folder uploaded models are stored in (readable by every silo).", DefaultValueFactory = _ => Defaults.UploadFolder };
    private readonly Option<long> _maxUpload = new("--max-upload-mb") { Description = "Largest accepted upload, MiB.", DefaultValueFactory = _ => Defaults.MaxUploadBytes >> 20 };
    private readonly Option<int> _siloPort = new("--silo-port") { Description = "Embedded mode: the silo's port.", DefaultValueFactory = _ => Defaults.SiloPort };
    private readonly Option<int> _gatewayPort = new("--gateway-port") { Description = "Embedded mode: the gateway port other uws processes connect to.", DefaultValueFactory = _ => Defaults.GatewayPort };
    private readonly ClusterConnectionCliOptions _cluster = new();
    private readonly CliContext _context;

    /// <summary>Creates the verb writing to <paramref name="context"/>.</summary>
    public ServeCommand(CliContext context)
        : base("serve", "Run the HTTP API: upload or reference models, fleet and layer status, basis download, SSE stream of new versions; /health and /alive.")
    {
        _context = context;
        foreach (var option in new Option[] { _urls, _uploads, _maxUpload, _siloPort, _gatewayPort })
        {
            Options.Add(option);
        }

        _cluster.AddTo(this);
        SetAction(ExecuteAsync);
    }

    /// <summary>Builds the web application for validated options (tests start it on a free port).</summary>
    public static WebApplication Build(ServeOptions options, ClusterConnectionOptions connection)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(connection);
        var builder = WebApplication.CreateSlimBuilder();
        // Only an explicit --urls overrides the host's own setting: a container sets ASPNETCORE_URLS, and its probes
        // and Service use that port.
        if (options.Urls is not null || string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(options.Urls ?? ServeOptions.DefaultUrls);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxUploadBytes);
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(form => form.MultipartBodyLengthLimit = options.MaxUploadBytes);
        builder.Services.Configure<JsonOptions>(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.AddServiceDefaults();
        builder.AddUwsCluster(connection, (options.SiloPort, options.GatewayPort));
        builder.Services.AddSingleton(new ModelUploadStore(options.UploadFolder));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<BasisEventHub>();
        builder.Services.AddHostedService<BasisSubscriptionRenewer>();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapUwsApi();
        return app;
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var (options, connection) = OptionsValidation.BindBoth(() => new ServeOptionsValidator().ValidateOrThrow(new ServeOptions
        {
            Urls = parseResult.GetValue(_urls),
            UploadFolder = parseResult.GetValue(_uploads) ?? Defaults.UploadFolder,
            MaxUploadBytes = parseResult.GetValue(_maxUpload) << 20,
            SiloPort = parseResult.GetValue(_siloPort),
            GatewayPort = parseResult.GetValue(_gatewayPort),
        }), () => _cluster.Bind(parseResult));
        await using var app = Build(options, connection);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _context.Console.MarkupLineInterpolated($"serving {string.Join(", ", app.Urls)} ({(connection.IsEmbedded ? $"embedded silo, gateway port {options.GatewayPort}" : "cluster client")}); Ctrl+C stops");
        try
        {
            // Returns when the host stops for any reason (SIGTERM through the host's lifetime, or our token).
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: stop gracefully below.
        }

        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
