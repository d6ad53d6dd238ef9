using OrleansUws.Numerics.Backends;
using OrleansUws.TrainedFleet.Data;
using OrleansUws.TrainedFleet.Evaluation;
using OrleansUws.TrainedFleet.Fleet;
using OrleansUws.TrainedFleet.Training;
using Xunit;

namespace OrleansUws.TrainedFleet.Tests;

/// <summary>
/// The evaluation end to end on a tiny fleet (2 in-sample adapters, 1 held out): when k spans everything the in-sample
/// adapters hold, every form must reproduce them exactly (same accuracy, zero error), and the byte counts must equal
/// a hand count.
/// </summary>
public sealed class EvaluationTests
{
    [Fact]
    public void FullRankBasesReproduceInSampleAdaptersAndBytesMatchAHandCount()
    {
        IBlasBackend blas = new ManagedBlasBackend();
        var settings = new FleetSettings
        {
            InSampleAdapters = 2,
            HeldOutAdapters = 1,
            Parallelism = 1,
            BaseTraining = new TrainingOptions(Epochs: 5, BatchSize: 32, LearningRate: 1e-3, Seed: 0),
            AdapterTraining = new TrainingOptions(Epochs: 3, BatchSize: 32, LearningRate: 2e-3, Seed: 0),
        };
        var builder = new FleetBuilder(blas, settings);
        (LabeledImages train, LabeledImages test) = builder.Split(DigitsDataSet.Load(DigitsDataSet.DefaultPath));
        Mlp model = builder.TrainBase(train);
        string folder = Path.Combine(Path.GetTempPath(), $"trained-fleet-eval-{Guid.NewGuid():N}");
        try
        {
            IReadOnlyList<TrainedAdapter> adapters = builder.TrainAdapters(model, train, test, folder);
            EvaluationResult result = new SubspaceEvaluation(blas, [2, 16]).Run(model, adapters, test, folder, TextWriter.Null);

            MethodScores adapter = result.Methods.Single(m => m.Method == "adapter");
            Assert.Equal(adapters.Select(a => a.AdapterAccuracy), adapter.Accuracy);   // read back from the PEFT files
            foreach (string form in new[] { "rows", "columns", "two-sided", "flattened" })
            {
                // k = 16 = T·r spans both in-sample adapters on every side (and T − 1 = 1 centred flattened direction).
                MethodScores full = result.Methods.Single(m => m.Method == form && m.K == 16);
                for (int i = 0; i < 2; i++)
                {
                    Assert.True(full.RelativeError![i] < 1e-3, $"{form}: in-sample adapter {i} has relative error {full.RelativeError[i]}");
                    Assert.Equal(adapter.Accuracy[i], full.Accuracy[i]);
                }
            }

            // Hand count, F32: LoRA r·(m + n) per layer; rows m·k; columns k·n; two-sided k·k; the rows bases k·n once.
            Assert.Equal(8 * ((128 + 64) + (128 + 128) + (10 + 128)) * 4, result.LoraBytesPerModel);
            Assert.Equal(((128 * 64) + (128 * 128) + (10 * 128)) * 4, result.DenseBytesPerModel);
            Assert.Equal((128 + 128 + 10) * 2 * 4, Coefficients(result, "rows", 2));
            Assert.Equal(2 * (64 + 128 + 128) * 4, Coefficients(result, "columns", 2));
            Assert.Equal(3 * 2 * 2 * 4, Coefficients(result, "two-sided", 2));
            Assert.Equal(2 * (64 + 128 + 128) * 4, result.Methods.Single(m => m.Method == "rows" && m.K == 2).BasisBytes);
            Assert.True(File.Exists(Path.Combine(folder, SubspaceEvaluation.BasesFolder, "fc2.columns.safetensors")));
            Assert.True(File.Exists(Path.Combine(folder, SubspaceEvaluation.CoefficientsFolder, "two-sided", "k2", "task-002.coefficients.safetensors")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static double Coefficients(EvaluationResult result, string form, int k) => result.Methods.Single(m => m.Method == form && m.K == k).CoefficientBytes;
}
