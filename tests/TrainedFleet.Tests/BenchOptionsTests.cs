using Xunit;

namespace OrleansUws.TrainedFleet.Tests;

public sealed class BenchOptionsTests
{
    [Fact]
    public void ParsesEveryOption()
    {
        BenchOptions options = BenchOptions.Parse(["--out", "x", "--seed", "2", "--in-sample", "10", "--held-out", "3", "--rank", "4", "--alpha", "8",
            "--ks", "8,2,8", "--lora-epochs", "5", "--lora-lr", "1e-3", "--parallelism", "1", "--data", "d.csv.gz"]);
        Assert.Equal("x", options.Output);
        Assert.Equal((2, 10, 3, 4, 8.0, 1), (options.Fleet.Seed, options.Fleet.InSampleAdapters, options.Fleet.HeldOutAdapters, options.Fleet.Rank, options.Fleet.Alpha, options.Fleet.Parallelism));
        Assert.Equal([2, 8], options.Ks);
        Assert.Equal((5, 1e-3), (options.Fleet.AdapterTraining.Epochs, options.Fleet.AdapterTraining.LearningRate));
        Assert.Equal("d.csv.gz", options.DataPath);
    }

    [Theory]
    [InlineData(new[] { "--seed", "1" }, "--out is required")]
    [InlineData(new[] { "--out", "x", "--rank", "0" }, "--rank must be an integer ≥ 1 (got '0')")]
    [InlineData(new[] { "--out", "x", "--lora-lr", "-1" }, "--lora-lr must be a positive number (got '-1')")]
    [InlineData(new[] { "--out", "x", "--bogus", "1" }, "unknown argument --bogus")]
    [InlineData(new[] { "--out" }, "--out needs a value")]
    public void BadArgumentsAreNamed(string[] args, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => BenchOptions.Parse(args));
        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }
}
