namespace OrleansUws.TrainedFleet.Data;

/// <summary>A set of 8×8 images with their labels: <see cref="Pixels"/> is Count×64 row-major, values in [0, 1].</summary>
/// <param name="Pixels">Count×64 pixel values, row-major.</param>
/// <param name="Labels">Count labels, each in [0, <see cref="DigitsDataSet.ClassCount"/>).</param>
public sealed record LabeledImages(float[] Pixels, int[] Labels)
{
    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>The images at <paramref name="indices"/>, in that order.</summary>
    public LabeledImages Select(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var pixels = new float[indices.Count * DigitsDataSet.PixelCount];
        var labels = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Pixels.AsSpan(indices[i] * DigitsDataSet.PixelCount, DigitsDataSet.PixelCount).CopyTo(pixels.AsSpan(i * DigitsDataSet.PixelCount));
            labels[i] = Labels[indices[i]];
        }

        return new LabeledImages(pixels, labels);
    }
}
