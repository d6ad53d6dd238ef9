using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace OrleansUws.Coordinator.Http;

/// <summary>What the generated OpenAPI document adds to what the endpoints declare: title, description, and the API key scheme every operation requires.</summary>
public static class OpenApiDescription
{
    /// <summary>Name of the security scheme in the document.</summary>
    public const string SchemeName = "ApiKey";

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Fleets"] = "A fleet: models of one architecture whose per-layer subspaces are maintained together.",
        ["Models"] = "Register (by path inside a model root) or upload models, and follow their status.",
        ["Layers"] = "Per layer and mode: current figures, convergence history, bases and the stream of new versions.",
        ["Projections"] = "Coefficients of a model against the current bases, reconstruction from coefficients, and merges.",
    };

    /// <summary>Adds the document transformer.</summary>
    public static OpenApiOptions AddUwsApiDescription(this OpenApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "OrleansUws gateway";
            document.Info.Description =
                "Fleets of models, their per-layer universal subspaces and the stream of new basis versions. Every operation "
                + "needs an API key (Authorization: Bearer KEY, or X-Api-Key) with the scope it names: read, ingest or admin. "
                + "Errors are application/problem+json naming the field or file at fault.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key; its SHA-256 is configured on the server with its scopes (read, ingest, admin). X-Api-Key: KEY is accepted too.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] }];
            foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
            {
                tag.Description = tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description) ? description : tag.Description;
            }

            foreach (var server in document.Servers ?? [])
            {
                server.Url = server.Url?.TrimEnd('/');
            }

            return Task.CompletedTask;
        });
    }
}
