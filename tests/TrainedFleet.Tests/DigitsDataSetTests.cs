using System.IO.Compression;
using System.Text;
using OrleansUws.TrainedFleet.Data;
using Xunit;

namespace OrleansUws.TrainedFleet.Tests;

public sealed class DigitsDataSetTests
{
    [Fact]
    public void ShippedFileHoldsTheWholeSet()
    {
        LabeledImages all = DigitsDataSet.Load(DigitsDataSet.DefaultPath);
        Assert.Equal(DigitsDataSet.ExpectedCount, all.Count);
        Assert.Equal(DigitsDataSet.ExpectedCount * DigitsDataSet.PixelCount, all.Pixels.Length);
        int[] perClass = [.. Enumerable.Range(0, 10).Select(d => all.Labels.Count(l => l == d))];
        Assert.Equal([178, 182, 177, 183, 181, 182, 181, 179, 174, 180], perClass);
        Assert.Equal([0f, 0f, 5 / 16f, 13 / 16f, 9 / 16f, 1 / 16f, 0f, 0f], all.Pixels[..8]);
        Assert.Equal(0, all.Labels[0]);
        Assert.Equal(1f, all.Pixels.Max());
        Assert.Equal(0f, all.Pixels.Min());
    }

    [Fact]
    public void SplitIsDisjointCompleteAndSeeded()
    {
        LabeledImages all = DigitsDataSet.Load(DigitsDataSet.DefaultPath);
        (LabeledImages train, LabeledImages test) = DigitsDataSet.Split(all, 540, seed: 1);
        (LabeledImages again, _) = DigitsDataSet.Split(all, 540, seed: 1);
        (LabeledImages other, _) = DigitsDataSet.Split(all, 540, seed: 2);
        Assert.Equal(1257, train.Count);
        Assert.Equal(540, test.Count);
        Assert.Equal(train.Pixels, again.Pixels);
        Assert.NotEqual(train.Pixels, other.Pixels);
        Assert.Equal(all.Labels.Order(), train.Labels.Concat(test.Labels).Order());
    }

    [Fact]
    public void BadLineIsReportedWithItsNumberAndField()
    {
        string path = Path.Combine(Path.GetTempPath(), $"digits-bad-{Guid.NewGuid():N}.csv.gz");
        try
        {
            string good = string.Join(',', Enumerable.Repeat("3", 64)) + ",7";
            string bad = string.Join(',', Enumerable.Repeat("3", 63)) + ",17,7";
            using (var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest))
            {
                gzip.Write(Encoding.ASCII.GetBytes(good + "\n" + bad + "\n"));
            }

            var error = Assert.Throws<InvalidDataException>(() => DigitsDataSet.Load(path));
            Assert.Equal($"{path}: line 2 field 64 is '17'; expected an integer in [0, 16].", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
