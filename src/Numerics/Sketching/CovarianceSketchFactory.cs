using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Sketching;

/// <summary>Creates and restores sketches on the injected backend (registered by <c>AddUwsNumerics</c>).</summary>
public sealed class CovarianceSketchFactory(IBlasBackend backend)
{
    /// <summary>The backend the sketches compute with.</summary>
    public IBlasBackend Backend { get; } = backend ?? throw new ArgumentNullException(nameof(backend));

    /// <summary>Creates an empty sketch as described by <paramref name="options"/>.</summary>
    public ICovarianceSketch Create(SketchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Kind switch
        {
            SketchKind.FrequentDirections => new FrequentDirectionsSketch(Backend, options.Dimension, options.Ell, options.MeanMode),
            SketchKind.ExactGram => new ExactGramSketch(Backend, options.Dimension, options.MeanMode),
            SketchKind.Nystrom => new NystromSketch(Backend, options.Dimension, options.Ell, options.MeanMode),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "Unknown sketch kind."),
        };
    }

    /// <summary>Restores a sketch from <see cref="ICovarianceSketch.Serialize"/> output.</summary>
    /// <exception cref="SketchFormatException">The blob is truncated, corrupt or inconsistent.</exception>
    public ICovarianceSketch Deserialize(ReadOnlySpan<byte> blob) => SketchSerializer.Deserialize(blob, Backend);
}
