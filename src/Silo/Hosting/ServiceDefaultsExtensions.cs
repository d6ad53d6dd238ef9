using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using OrleansUws.Grains.Telemetry;

namespace OrleansUws.Silo.Hosting;

/// <summary>
/// Telemetry and health in one place, for the silo and the gateway (<c>uws serve</c>): OpenTelemetry logs, metrics
/// (ours, Orleans', ASP.NET Core's, the runtime's) and traces (ours and Orleans' grain calls, propagated across
/// processes), served for Prometheus at <c>/metrics</c> and exported by OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// is set (protocol and export intervals from the standard <c>OTEL_*</c> variables); health checks at <c>/health</c>
/// (everything) and <c>/alive</c> (liveness only). The resource names the service (<c>OTEL_SERVICE_NAME</c>, else the
/// application) and the process (<c>process.pid</c>, <c>host.name</c>), so spans of one trace tell which process ran them.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Tag of the health checks that make up liveness (<c>/alive</c>).</summary>
    public const string LiveTag = "live";

    /// <summary>Orleans' meter name.</summary>
    public const string OrleansMeterName = UwsTelemetryNames.OrleansMeterName;

    /// <summary>Path of the Prometheus scrape endpoint.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Adds OpenTelemetry, the UWS instruments and the default health checks. Idempotent.</summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(ServiceDefaultsMarker)))
        {
            return builder;
        }

        builder.Services.AddSingleton<ServiceDefaultsMarker>();
        builder.Services.AddUwsMetrics();
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var serviceName = builder.Environment.ApplicationName;
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService(serviceName, serviceInstanceId: $"{Environment.MachineName}/{Environment.ProcessId}")
                .AddAttributes([new("process.pid", Environment.ProcessId), new("host.name", Environment.MachineName)]))
            .WithMetrics(metrics => metrics
                .AddMeter(UwsTelemetryNames.MeterName, OrleansMeterName)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(UwsTelemetryNames.ActivitySourceName, UwsTelemetryNames.OrleansApplicationSourceName, UwsTelemetryNames.OrleansRuntimeSourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsInfrastructure(context.Request.Path)));
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }

        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (all checks), <c>/alive</c> (checks tagged <see cref="LiveTag"/>) and the Prometheus
    /// scrape endpoint <see cref="MetricsPath"/>.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health");
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }

    /// <summary>Health and scrape requests: not traced (they would drown the traces that matter).</summary>
    private static bool IsInfrastructure(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/alive") || path.StartsWithSegments(MetricsPath);

    /// <summary>Marks a host to which <see cref="AddServiceDefaults"/> was applied.</summary>
    private sealed class ServiceDefaultsMarker;
}
