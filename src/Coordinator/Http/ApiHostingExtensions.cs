using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OrleansUws.Coordinator.Http.Security;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// Wiring of the HTTP API: limits, problem details, API keys and scopes, per-key rate limiting, OpenAPI, and the
/// services the endpoints use. <see cref="AddUwsApi"/> on the builder, <see cref="UseUwsApi"/> on the application.
/// </summary>
public static class ApiHostingExtensions
{
    /// <summary>Path of the OpenAPI document (served without a key: it describes the API, it holds no data).</summary>
    public const string OpenApiPath = "/openapi/v1.json";

    private static readonly string[] OpenPaths = ["/health", "/alive", "/metrics", OpenApiPath];

    /// <summary>Adds everything the API needs for <paramref name="options"/>.</summary>
    public static WebApplicationBuilder AddUwsApi(this WebApplicationBuilder builder, ServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        var services = builder.Services;

        // Bodies: small by default; the upload endpoint raises its own limit. HTTPS endpoints and certificates come from
        // the Kestrel configuration section (Kestrel:Endpoints, Kestrel:Certificates:Default).
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes);

        services.Configure<JsonOptions>(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        services.Configure<RouteHandlerOptions>(route => route.ThrowOnBadRequest = true);
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = DescribeBadRequest);

        AddApiKeys(builder, options);
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        var authorization = services.AddAuthorizationBuilder();
        foreach (var scope in ApiScopes.All)
        {
            authorization.AddPolicy(scope, policy => policy
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireClaim(ApiScopes.ClaimType, scope));
        }

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, options.RequestsPerMinute));
            limiter.OnRejected = RejectAsync;
        });

        services.AddOpenApi(openApi => openApi.AddUwsApiDescription());

        services.AddUwsNumerics(); // the backend of projections, reconstructions and merges (idempotent; an embedded silo adds it too)
        services.AddSingleton(options);
        services.AddSingleton(new ModelRoots(options.ModelRoots));
        services.AddSingleton(new ModelUploadStore(options.UploadFolder));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<BasisEventHub>();
        services.AddHostedService<BasisStreamService>();
        return builder;
    }

    /// <summary>Adds the middleware (errors as problem details, authentication, rate limiting, authorization) and maps the API and its OpenAPI document.</summary>
    public static WebApplication UseUwsApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        _ = app.Services.GetRequiredService<ApiKeyRing>(); // an invalid key configuration fails the start, naming the field
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = exception => exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
            SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException, // a client's mistake, answered; not a server error to log
        });
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.MapOpenApi(OpenApiPath);
        app.MapUwsApi(app.Services.GetRequiredService<ServeOptions>());
        return app;
    }

    private static void AddApiKeys(WebApplicationBuilder builder, ServeOptions options)
    {
        builder.Services.Configure<ApiKeyOptions>(builder.Configuration.GetSection(ApiKeyOptions.Section));
        if (options.KeysFile is { } file)
        {
            // Its own configuration root, re-read on change (set DOTNET_USE_POLLING_FILE_WATCHER=1 where file events do
            // not arrive, e.g. a Kubernetes secret swapped through symbolic links).
            var keys = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: true).Build();
            builder.Services.AddSingleton(new KeysFileConfiguration(keys));
            builder.Services.Configure<ApiKeyOptions>(keys);
        }

        builder.Services.AddSingleton<ApiKeyRing>();
    }

    private static RateLimitPartition<string> Partition(HttpContext context, int perMinute)
    {
        if (OpenPaths.Any(path => context.Request.Path.StartsWithSegments(path, StringComparison.Ordinal)))
        {
            return RateLimitPartition.GetNoLimiter("open");
        }

        var key = context.User.Identity is { IsAuthenticated: true, Name: { } name }
            ? "key:" + name
            : "address:" + context.Connection.RemoteIpAddress;
        return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = perMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter))
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = StatusCodes.Status429TooManyRequests, Title = "Too many requests", Detail = "the rate limit of this API key (or client address) is reached; retry later" },
        }).ConfigureAwait(false);
    }

    /// <summary>A bad request's problem names what was wrong: the parameter that failed to bind, or where the JSON body is malformed.</summary>
    private static void DescribeBadRequest(ProblemDetailsContext context)
    {
        if (context.Exception is BadHttpRequestException bad)
        {
            context.ProblemDetails.Status = bad.StatusCode;
            context.HttpContext.Response.StatusCode = bad.StatusCode;
            context.ProblemDetails.Detail = bad.InnerException is JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;
        }
    }

    /// <summary>The keys file's configuration root, held (and disposed, with its file watcher) by the container.</summary>
    private sealed class KeysFileConfiguration(IConfigurationRoot root) : IDisposable
    {
        public void Dispose() => (root as IDisposable)?.Dispose();
    }
}
