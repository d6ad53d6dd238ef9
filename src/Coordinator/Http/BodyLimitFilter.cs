using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace OrleansUws.Coordinator.Http;

/// <summary>
/// Refuses a request whose declared <c>Content-Length</c> exceeds the limit with 413 before a byte of its body is read.
/// A chunked body has no declared length; Kestrel's per-request limit stops it while it is read.
/// </summary>
/// <param name="maxBytes">The largest accepted body.</param>
public sealed class BodyLimitFilter(long maxBytes) : IEndpointFilter
{
    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.HttpContext.Request.ContentLength is { } length && length > maxBytes)
        {
            return ApiProblems.Status(StatusCodes.Status413PayloadTooLarge, $"the body holds {length} bytes; at most {maxBytes} are accepted", "Content-Length");
        }

        return await next(context).ConfigureAwait(false);
    }
}

/// <summary>Wiring of an endpoint that accepts a large body.</summary>
public static class BodyLimitExtensions
{
    /// <summary>
    /// Raises the endpoint's body limit to <paramref name="maxBytes"/> (Kestrel enforces it while reading) and refuses a
    /// larger declared <c>Content-Length</c> at once (<see cref="BodyLimitFilter"/>); documents the 413.
    /// </summary>
    public static RouteHandlerBuilder WithBodyLimit(this RouteHandlerBuilder builder, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .AddEndpointFilter(new BodyLimitFilter(maxBytes))
            .WithMetadata(new RequestSizeLimit(maxBytes))
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
    }
}
