using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansUws.Coordinator.Http.Security;

/// <summary>
/// Authenticates a request by its API key: <c>Authorization: Bearer KEY</c> or <c>X-Api-Key: KEY</c>. The identity's
/// name is the key's configured name and it carries one <see cref="ApiScopes.ClaimType"/> claim per granted scope.
/// Challenges answer 401 and forbids 403, both as <c>application/problem+json</c>.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyRing keys, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>Name of the authentication scheme.</summary>
    public const string SchemeName = "ApiKey";

    /// <summary>Header that may carry the key instead of <c>Authorization</c>.</summary>
    public const string KeyHeader = "X-Api-Key";

    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Presented(Request);
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (keys.Find(presented) is not { } key)
        {
            return Task.FromResult(AuthenticateResult.Fail("unknown API key"));
        }

        var claims = key.Scopes.Select(scope => new Claim(ApiScopes.ClaimType, scope)).Prepend(new Claim(ClaimTypes.Name, key.Name));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    /// <inheritdoc />
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        var detail = Presented(Request) is null
            ? $"an API key is required: send 'Authorization: Bearer KEY' or '{KeyHeader}: KEY'"
            : "the API key is not valid";
        return WriteProblemAsync("Unauthorized", detail);
    }

    /// <inheritdoc />
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        var required = Context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>()?.Policy;
        return WriteProblemAsync("Forbidden", $"the API key '{Context.User.Identity?.Name}' lacks the scope '{required}' this endpoint requires");
    }

    private Task WriteProblemAsync(string title, string detail) =>
        problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = Response.StatusCode, Title = title, Detail = detail },
        }).AsTask();

    private static string? Presented(HttpRequest request)
    {
        if (request.Headers.Authorization.ToString() is { Length: > 7 } authorization
            && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization[7..].Trim();
        }

        return request.Headers[KeyHeader].ToString() is { Length: > 0 } header ? header.Trim() : null;
    }
}
