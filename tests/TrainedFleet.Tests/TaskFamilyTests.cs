using OrleansUws.TrainedFleet.Tasks;
using Xunit;

namespace OrleansUws.TrainedFleet.Tests;

public sealed class TaskFamilyTests
{
    [Fact]
    public void TaskIsAPermutationOfPatchesAndATranspositionOfLabels()
    {
        var family = new TaskFamily(PatchSwaps: 2, PatchSize: 2, MinContrast: 0.5, MaxContrast: 1.0, LabelSwaps: 1);
        for (int id = 0; id < 50; id++)
        {
            DigitTask task = family.Create(id, seed: 3);
            Assert.Equal(Enumerable.Range(0, 64), task.PixelSource.Order());
            Assert.Equal(2 * 2 * 4, task.PixelSource.Where((source, p) => source != p).Count());   // two pairs of 2×2 patches moved
            Assert.Equal(Enumerable.Range(0, 10), task.LabelMap.Order());
            Assert.Equal(2, task.LabelMap.Where((label, d) => label != d).Count());
            Assert.InRange(task.Contrast, 0.5f, 1.0f);
        }
    }

    [Fact]
    public void TaskDependsOnlyOnSeedAndId()
    {
        var family = new TaskFamily();
        DigitTask first = family.Create(7, seed: 3), again = family.Create(7, seed: 3);
        Assert.Equal(first.PixelSource, again.PixelSource);
        Assert.Equal(first.LabelMap, again.LabelMap);
        Assert.Equal(first.Description, again.Description);
        Assert.NotEqual(first.Description, family.Create(8, seed: 3).Description);
        Assert.NotEqual(first.Description, family.Create(7, seed: 4).Description);
    }

    [Fact]
    public void ApplyMovesPixelsScalesContrastAndRelabels()
    {
        var task = new DigitTask(0, [.. Enumerable.Range(0, 64).Reverse()], 0.5f, [1, 0, 2, 3, 4, 5, 6, 7, 8, 9], "test");
        float[] pixels = [.. Enumerable.Range(0, 64).Select(p => p / 64f)];
        var images = task.Apply(new Data.LabeledImages(pixels, [0]));
        Assert.Equal([.. Enumerable.Range(0, 64).Select(p => 0.5f * (63 - p) / 64f)], images.Pixels);
        Assert.Equal([1], images.Labels);
    }
}
