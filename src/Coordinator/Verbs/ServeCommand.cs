using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
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

    private readonly Option<string?> _urls = new("--urls") { Description = $"Addresses to listen on (';'-separated); default: ASPNETCORE_URLS, URLS or the Kestrel:Endpoints configuration, else {ServeOptions.DefaultUrls}." };
    private readonly Option<string> _uploads = new("--upload-dir") { Description = "Folder uploaded models are stored in (readable by every silo).", DefaultValueFactory = _ => Defaults.UploadFolder };
    private readonly Option<long> _maxUpload = new("--max-upload-mb") { Description = "Largest accepted upload, MiB.", DefaultValueFactory = _ => Defaults.MaxUploadBytes >> 20 };
    private readonly Option<long> _maxBody = new("--max-body-kb") { Description = "Largest accepted body of any other request, KiB.", DefaultValueFactory = _ => Defaults.MaxBodyBytes >> 10 };
    private readonly Option<string[]> _modelRoots = new("--model-root") { Description = "Folder inside which models may be registered by path (repeatable); none: registration by path is refused.", AllowMultipleArgumentsPerToken = false };
    private readonly Option<string?> _keysFile = new("--keys-file") { Description = "JSON file of API keys {\"Keys\":{\"NAME\":{\"Sha256\":HEX,\"Scopes\":[\"read\"]}}}, re-read when it changes (keys also come from Uws:Api:Keys)." };
    private readonly Option<int> _rateLimit = new("--rate-limit") { Description = "Requests per minute per API key (or client address before authentication).", DefaultValueFactory = _ => Defaults.RequestsPerMinute };
    private readonly Option<double> _publishThreshold = new("--publish-threshold") { Description = "τ: the basis stream publishes a layer's version only when sin θ to its last published version exceeds τ (0: every version).", DefaultValueFactory = _ => Defaults.PublishThreshold };
    private readonly Option<int> _replayEvents = new("--replay-events") { Description = "Published versions kept per fleet for subscribers that reconnect with Last-Event-ID.", DefaultValueFactory = _ => Defaults.ReplayEvents };
    private readonly Option<int> _siloPort = new("--silo-port") { Description = "Embedded mode: the silo's port.", DefaultValueFactory = _ => Defaults.SiloPort };
    private readonly Option<int> _gatewayPort = new("--gateway-port") { Description = "Embedded mode: the gateway port other uws processes connect to.", DefaultValueFactory = _ => Defaults.GatewayPort };
    private readonly ClusterConnectionCliOptions _cluster = new();
    private readonly CliContext _context;

    /// <summary>Creates the verb writing to <paramref name="context"/>.</summary>
    public ServeCommand(CliContext context)
        : base("serve", "Run the HTTP API (API keys with scopes; see docs/http-api.md): register or upload models, fleet and layer status, bases, history, SSE stream of new versions; /health, /alive and /openapi/v1.json open.")
    {
        _context = context;
        foreach (var option in new Option[] { _urls, _uploads, _maxUpload, _maxBody, _modelRoots, _keysFile, _rateLimit, _publishThreshold, _replayEvents, _siloPort, _gatewayPort })
        {
            Options.Add(option);
        }

        _cluster.AddTo(this);
        SetAction(ExecuteAsync);
    }

    /// <summary>
    /// Builds the web application for validated options (tests start it on a free port). <paramref name="settings"/>
    /// are added to the configuration (as environment variables would be).
    /// </summary>
    public static WebApplication Build(ServeOptions options, ClusterConnectionOptions connection, IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(connection);
        var builder = WebApplication.CreateSlimBuilder();
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        // --urls wins; otherwise the configuration's addresses (ASPNETCORE_URLS, URLS, Kestrel:Endpoints), else the default.
        if (options.Urls is { } urls)
        {
            builder.WebHost.UseUrls(urls);
        }
        else if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]) && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(ServeOptions.DefaultUrls);
        }

        builder.AddServiceDefaults();
        builder.AddUwsCluster(connection, (options.SiloPort, options.GatewayPort));
        builder.AddUwsIngestionQueue(connection);
        builder.AddUwsApi(options);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.UseUwsApi();
        return app;
    }

    private async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var (options, connection) = OptionsValidation.BindBoth(() => new ServeOptionsValidator().ValidateOrThrow(new ServeOptions
        {
            Urls = parseResult.GetValue(_urls),
            UploadFolder = parseResult.GetValue(_uploads) ?? Defaults.UploadFolder,
            MaxUploadBytes = parseResult.GetValue(_maxUpload) << 20,
            MaxBodyBytes = parseResult.GetValue(_maxBody) << 10,
            ModelRoots = parseResult.GetValue(_modelRoots) ?? [],
            KeysFile = parseResult.GetValue(_keysFile),
            RequestsPerMinute = parseResult.GetValue(_rateLimit),
            PublishThreshold = parseResult.GetValue(_publishThreshold),
            ReplayEvents = parseResult.GetValue(_replayEvents),
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
