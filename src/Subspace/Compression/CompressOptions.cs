namespace OrleansUws.Subspace.Compression;

/// <summary>What <see cref="SubspaceCompressor"/> computes.</summary>
/// <param name="Form">The coefficient form.</param>
public sealed record CompressOptions(CoefficientForm Form)
{
    /// <summary>Leading vectors used of every basis: min(K, the basis's k); null for all.</summary>
    public int? K { get; init; }

    /// <summary>The layers to compress; null for every layer of the model that has the bases the form needs.</summary>
    public IReadOnlyList<string>? Layers { get; init; }
}
