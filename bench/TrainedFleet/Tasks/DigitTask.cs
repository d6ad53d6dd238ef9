using OrleansUws.TrainedFleet.Data;

namespace OrleansUws.TrainedFleet.Tasks;

/// <summary>
/// One fine-tuning task: the digits seen through a fixed pixel permutation (output pixel p shows input pixel
/// <c>PixelSource[p]</c>), a contrast change x → min(1, c·x), and relabelled (digit d is answered as <c>LabelMap[d]</c>).
/// </summary>
/// <param name="Id">Task number within the fleet.</param>
/// <param name="PixelSource">64 input pixel indices, a permutation.</param>
/// <param name="Contrast">c &gt; 0.</param>
/// <param name="LabelMap">10 labels, a permutation of 0–9.</param>
/// <param name="Description">Human-readable summary (patches swapped, contrast, labels swapped).</param>
public sealed record DigitTask(int Id, int[] PixelSource, float Contrast, int[] LabelMap, string Description)
{
    /// <summary>The images and labels of <paramref name="images"/> as this task presents them.</summary>
    public LabeledImages Apply(LabeledImages images)
    {
        ArgumentNullException.ThrowIfNull(images);
        const int width = DigitsDataSet.PixelCount;
        var pixels = new float[images.Pixels.Length];
        var labels = new int[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            ReadOnlySpan<float> source = images.Pixels.AsSpan(i * width, width);
            Span<float> target = pixels.AsSpan(i * width, width);
            for (int p = 0; p < width; p++)
            {
                target[p] = Math.Min(1f, Contrast * source[PixelSource[p]]);
            }

            labels[i] = LabelMap[images.Labels[i]];
        }

        return new LabeledImages(pixels, labels);
    }
}
