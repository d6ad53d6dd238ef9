namespace OrleansUws.TrainedFleet.Training;

/// <summary>One linear layer y = W·x + b of the MLP: W is <see cref="OutFeatures"/>×<see cref="InFeatures"/> row-major.</summary>
public sealed class DenseLayer
{
    /// <summary>Creates a zero layer.</summary>
    /// <param name="name">Module path (the PEFT key's module, e.g. <c>fc1</c>).</param>
    /// <param name="outFeatures">m.</param>
    /// <param name="inFeatures">n.</param>
    public DenseLayer(string name, int outFeatures, int inFeatures)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        Name = name;
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        Weight = new float[outFeatures * inFeatures];
        Bias = new float[outFeatures];
    }

    /// <summary>Module path.</summary>
    public string Name { get; }

    /// <summary>m, rows of W.</summary>
    public int OutFeatures { get; }

    /// <summary>n, columns of W.</summary>
    public int InFeatures { get; }

    /// <summary>W, m×n row-major.</summary>
    public float[] Weight { get; }

    /// <summary>b, m values.</summary>
    public float[] Bias { get; }

    /// <summary>A copy of this layer with W replaced by W + <paramref name="delta"/> (m×n row-major).</summary>
    public DenseLayer Plus(ReadOnlySpan<float> delta)
    {
        if (delta.Length != Weight.Length)
        {
            throw new ArgumentException($"Layer '{Name}' is {OutFeatures}×{InFeatures}; the update has {delta.Length} values.", nameof(delta));
        }

        var copy = new DenseLayer(Name, OutFeatures, InFeatures);
        for (int i = 0; i < Weight.Length; i++)
        {
            copy.Weight[i] = Weight[i] + delta[i];
        }

        Bias.CopyTo(copy.Bias, 0);
        return copy;
    }
}
