using Microsoft.AspNetCore.Http.Metadata;

namespace OrleansUws.Coordinator.Http;

/// <summary>Per-endpoint body limit (replaces Kestrel's default for that endpoint); Kestrel enforces it while the body is read.</summary>
/// <param name="bytes">The largest accepted body.</param>
internal sealed class RequestSizeLimit(long bytes) : IRequestSizeLimitMetadata
{
    /// <inheritdoc />
    public long? MaxRequestBodySize => bytes;
}
