using OrleansUws.Numerics.Backends;
using OrleansUws.TrainedFleet.Data;
using OrleansUws.TrainedFleet.Fleet;
using OrleansUws.TrainedFleet.Training;
using Xunit;

namespace OrleansUws.TrainedFleet.Tests;

/// <summary>The fleet's default settings, on the managed backend: the base learns the digits, an adapter learns its task.</summary>
public sealed class TrainingTests
{
    private static readonly IBlasBackend Blas = new ManagedBlasBackend();

    [Fact]
    public void BaseModelReachesNinetyFivePercentAndAnAdapterRecoversItsTask()
    {
        var settings = new FleetSettings { InSampleAdapters = 1, HeldOutAdapters = 1, Parallelism = 1 };
        var builder = new FleetBuilder(Blas, settings);
        (LabeledImages train, LabeledImages test) = builder.Split(DigitsDataSet.Load(DigitsDataSet.DefaultPath));
        Mlp model = builder.TrainBase(train);
        var trainer = new Trainer(Blas);
        Assert.InRange(trainer.Accuracy(model, test), 0.95, 1.0);

        string folder = Path.Combine(Path.GetTempPath(), $"trained-fleet-{Guid.NewGuid():N}");
        try
        {
            IReadOnlyList<TrainedAdapter> adapters = builder.TrainAdapters(model, train, test, folder);
            Assert.Equal(["task-000", "task-001"], adapters.Select(a => a.Name));
            Assert.Equal([true, false], adapters.Select(a => a.InSample));
            Assert.True(File.Exists(Path.Combine(folder, FleetBuilder.InSampleFolder, "task-000", "adapter_config.json")));
            Assert.True(File.Exists(Path.Combine(folder, FleetBuilder.HeldOutFolder, "task-001", "adapter_model.safetensors")));
            foreach (TrainedAdapter adapter in adapters)
            {
                // The base misreads the moved patches and always answers the swapped labels wrongly; the adapter learns both.
                Assert.InRange(adapter.BaseAccuracy, 0.0, 0.8);
                Assert.InRange(adapter.AdapterAccuracy, 0.93, 1.0);
                LoraWeights read = AdapterFiles.Read(adapter.Folder, model);
                Assert.Equal(adapter.AdapterAccuracy, trainer.Accuracy(model, adapter.Task.Apply(test), read));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void BaseCheckpointRoundTripsExactly()
    {
        Mlp model = Mlp.Create(["fc1", "fc2"], [4, 3, 2], seed: 9);
        model.Layers[1].Bias[1] = 0.25f;
        string path = Path.Combine(Path.GetTempPath(), $"base-{Guid.NewGuid():N}.safetensors");
        try
        {
            BaseModelFile.Write(path, model);
            Mlp read = BaseModelFile.Read(path);
            Assert.Equal(["fc1", "fc2"], read.Layers.Select(l => l.Name));
            for (int l = 0; l < 2; l++)
            {
                Assert.Equal(model.Layers[l].Weight, read.Layers[l].Weight);
                Assert.Equal(model.Layers[l].Bias, read.Layers[l].Bias);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
