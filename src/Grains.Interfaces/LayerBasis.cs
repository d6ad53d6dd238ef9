using System.Runtime.InteropServices;

namespace OrleansUws.Grains.Interfaces;

/// <summary>The current basis of one layer and mode, ready for export.</summary>
/// <param name="Info">The version's figures (T, k, energy, certificate, sin θ, centred).</param>
/// <param name="Dimension">d: length of each basis vector (n in rows mode, m in columns mode, m·n in flattened mode: row i is then vec of the i-th eigen-model, row-major m×n).</param>
/// <param name="Vectors">k×d row-major float32: row i is the i-th orthonormal basis vector.</param>
/// <param name="SingularValues">The k singular values σ_i of the (centred) merged sketch, descending (σ_i² = energy along vector i).</param>
/// <param name="Mean">Fleet mean row (length d) when it is tracked (centred bases); null otherwise.</param>
/// <remarks>
/// On the wire and in storage it travels as <see cref="LayerBasisSurrogate"/>: the vectors and the mean as raw bytes,
/// copied in one block, because Orleans encodes a <c>float[]</c> element by element and every version writes its k×d
/// basis to the archive entry and sends it to the slices.
/// </remarks>
[Immutable]
public sealed record LayerBasis(
    BasisVersionInfo Info,
    int Dimension,
    float[] Vectors,
    double[] SingularValues,
    float[]? Mean);

/// <summary>The serialized form of <see cref="LayerBasis"/>: float arrays as little-endian bytes, copied in one block.</summary>
[GenerateSerializer, Immutable]
public readonly struct LayerBasisSurrogate
{
    /// <summary>The version's figures.</summary>
    [Id(0)] public BasisVersionInfo Info { get; init; }

    /// <summary>d.</summary>
    [Id(1)] public int Dimension { get; init; }

    /// <summary>The k×d vectors as float32 bytes.</summary>
    [Id(2)] public byte[] Vectors { get; init; }

    /// <summary>The k singular values.</summary>
    [Id(3)] public double[] SingularValues { get; init; }

    /// <summary>The mean row as float32 bytes, or null.</summary>
    [Id(4)] public byte[]? Mean { get; init; }
}

/// <summary>Converts <see cref="LayerBasis"/> to and from <see cref="LayerBasisSurrogate"/> (registered with Orleans).</summary>
[RegisterConverter]
public sealed class LayerBasisConverter : IConverter<LayerBasis, LayerBasisSurrogate>
{
    /// <inheritdoc />
    public LayerBasis ConvertFromSurrogate(in LayerBasisSurrogate surrogate) => new(
        surrogate.Info, surrogate.Dimension, Floats(surrogate.Vectors), surrogate.SingularValues, surrogate.Mean is null ? null : Floats(surrogate.Mean));

    /// <inheritdoc />
    public LayerBasisSurrogate ConvertToSurrogate(in LayerBasis value) => new()
    {
        Info = value.Info,
        Dimension = value.Dimension,
        Vectors = MemoryMarshal.AsBytes(value.Vectors.AsSpan()).ToArray(),
        SingularValues = value.SingularValues,
        Mean = value.Mean is null ? null : MemoryMarshal.AsBytes(value.Mean.AsSpan()).ToArray(),
    };

    private static float[] Floats(byte[] bytes)
    {
        if (bytes.Length % sizeof(float) != 0)
        {
            throw new InvalidDataException($"A serialized basis holds {bytes.Length} bytes of float32 values, not a multiple of 4.");
        }

        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }
}
