using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using OrleansUws.Grains.Telemetry;

namespace OrleansUws.Silo.Hosting;

/// <summary>
/// Telemetry and health in one place, for the silo and the coordinator: OpenTelemetry logs, metrics (ours, Orleans',
/// ASP.NET Core's, the runtime's) and traces, exported by OTLP only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set;
/// health checks served at <c>/health</c> (everything) and <c>/alive</c> (liveness only).
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Tag of the health checks that make up liveness (<c>/alive</c>).</summary>
    public const string LiveTag = "live";

    /// <summary>Orleans' meter name.</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>Adds OpenTelemetry and the default health checks. Idempotent.</summary>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(ServiceDefaultsMarker)))
        {
            return builder;
        }

        builder.Services.AddSingleton<ServiceDefaultsMarker>();
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var otel = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddMeter(UwsMetrics.MeterName, OrleansMeterName)
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation())
            .WithTracing(tracing => tracing
                .AddSource(UwsMetrics.MeterName, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                    !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/alive")));
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            otel.UseOtlpExporter();
        }

        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>Maps <c>/health</c> (all checks) and <c>/alive</c> (checks tagged <see cref="LiveTag"/>).</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health");
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });
        return app;
    }

    /// <summary>Marks a host to which <see cref="AddServiceDefaults"/> was applied.</summary>
    private sealed class ServiceDefaultsMarker;
}
