using OrleansUws.TrainedFleet.Data;

namespace OrleansUws.TrainedFleet.Tasks;

/// <summary>
/// The family of related tasks the fleet's adapters are fine-tuned on. Task i is a pure function of (seed, i): it swaps
/// <see cref="PatchSwaps"/> pairs of distinct <see cref="PatchSize"/>×<see cref="PatchSize"/> patches of the image,
/// scales the contrast by c ~ U[<see cref="MinContrast"/>, <see cref="MaxContrast"/>] and swaps <see cref="LabelSwaps"/>
/// pairs of distinct labels. Each task is learnable (a permutation and a monotone intensity change lose little
/// information) but the base model, which never saw it, misreads the moved patches and always answers the swapped labels wrongly.
/// </summary>
/// <param name="PatchSwaps">Pairs of patches swapped per task.</param>
/// <param name="PatchSize">Side of a square patch; must divide 8.</param>
/// <param name="MinContrast">Lower bound of c.</param>
/// <param name="MaxContrast">Upper bound of c.</param>
/// <param name="LabelSwaps">Pairs of labels swapped per task.</param>
public sealed record TaskFamily(int PatchSwaps = 2, int PatchSize = 2, double MinContrast = 0.5, double MaxContrast = 1.0, int LabelSwaps = 1)
{
    /// <summary>Task <paramref name="id"/> of the family drawn with <paramref name="seed"/>.</summary>
    public DigitTask Create(int id, int seed)
    {
        const int side = DigitsDataSet.Side;
        if (PatchSize <= 0 || side % PatchSize != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(PatchSize), PatchSize, $"A patch side must divide {side}.");
        }

        int patchesPerSide = side / PatchSize;
        int patches = patchesPerSide * patchesPerSide;
        if (2 * PatchSwaps > patches || 2 * LabelSwaps > DigitsDataSet.ClassCount)
        {
            throw new ArgumentOutOfRangeException(nameof(PatchSwaps), $"{PatchSwaps} patch swaps and {LabelSwaps} label swaps need distinct patches and labels.");
        }

        var random = new Random(Training.Seeds.Derive(seed, id));
        int[] source = [.. Enumerable.Range(0, DigitsDataSet.PixelCount)];
        int[] patchOrder = [.. Enumerable.Range(0, patches)];
        random.Shuffle(patchOrder);
        var parts = new List<string>();
        for (int s = 0; s < PatchSwaps; s++)
        {
            int first = patchOrder[2 * s], second = patchOrder[(2 * s) + 1];
            SwapPatches(source, first, second, patchesPerSide);
            parts.Add($"patch {first}↔{second}");
        }

        float contrast = (float)(MinContrast + ((MaxContrast - MinContrast) * random.NextDouble()));
        parts.Add($"contrast {contrast:F2}");
        int[] labelMap = [.. Enumerable.Range(0, DigitsDataSet.ClassCount)];
        int[] labelOrder = [.. labelMap];
        random.Shuffle(labelOrder);
        for (int s = 0; s < LabelSwaps; s++)
        {
            int first = labelOrder[2 * s], second = labelOrder[(2 * s) + 1];
            (labelMap[first], labelMap[second]) = (labelMap[second], labelMap[first]);
            parts.Add($"labels {first}↔{second}");
        }

        return new DigitTask(id, source, contrast, labelMap, string.Join(", ", parts));
    }

    private void SwapPatches(int[] source, int first, int second, int patchesPerSide)
    {
        const int side = DigitsDataSet.Side;
        int firstRow = first / patchesPerSide * PatchSize, firstColumn = first % patchesPerSide * PatchSize;
        int secondRow = second / patchesPerSide * PatchSize, secondColumn = second % patchesPerSide * PatchSize;
        for (int dy = 0; dy < PatchSize; dy++)
        {
            for (int dx = 0; dx < PatchSize; dx++)
            {
                int a = ((firstRow + dy) * side) + firstColumn + dx;
                int b = ((secondRow + dy) * side) + secondColumn + dx;
                (source[a], source[b]) = (source[b], source[a]);
            }
        }
    }
}
