using System.Globalization;
using OrleansUws.Numerics.Backends;
using OrleansUws.TrainedFleet.Data;
using OrleansUws.TrainedFleet.Training;

namespace OrleansUws.TrainedFleet.Fleet;

/// <summary>
/// Trains the base MLP on the digits, then one LoRA adapter per task of the family, and writes them: the base as
/// <c>base/model.safetensors</c>, in-sample adapters under <c>fleet/</c> (the folder to give <c>uws run --fleet</c>),
/// held-out adapters under <c>held-out/</c>. Task i's adapter is a pure function of (settings, i): the adapters are
/// trained in parallel, each on one thread, with the same result whatever the parallelism.
/// </summary>
/// <param name="blas">The GEMM backend (single-threaded calls).</param>
/// <param name="settings">The fleet.</param>
public sealed class FleetBuilder(IBlasBackend blas, FleetSettings settings)
{
    /// <summary>Folder of the base checkpoint inside the output.</summary>
    public const string BaseFolder = "base";

    /// <summary>Folder of the in-sample adapters.</summary>
    public const string InSampleFolder = "fleet";

    /// <summary>Folder of the held-out adapters.</summary>
    public const string HeldOutFolder = "held-out";

    private readonly Trainer _trainer = new(blas);

    /// <summary>The training and test images (every task applies its transform to these).</summary>
    public (LabeledImages Train, LabeledImages Test) Split(LabeledImages all) => DigitsDataSet.Split(all, settings.TestImages, settings.Seed);

    /// <summary>Trains the base model on the untransformed digits.</summary>
    public Mlp TrainBase(LabeledImages train)
    {
        Mlp model = Mlp.Create(settings.LayerNames, settings.LayerSizes, Derive(1, 0));
        _trainer.TrainBase(model, train, settings.BaseTraining with { Seed = Derive(2, 0) });
        return model;
    }

    /// <summary>Trains every adapter and writes it under <paramref name="outputFolder"/>; returns them in task order.</summary>
    public IReadOnlyList<TrainedAdapter> TrainAdapters(Mlp model, LabeledImages train, LabeledImages test, string outputFolder, IProgress<int>? progress = null)
    {
        var adapters = new TrainedAdapter[settings.AdapterCount];
        int done = 0;
        Parallel.For(0, adapters.Length, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism }, i =>
        {
            adapters[i] = TrainAdapter(model, train, test, outputFolder, i);
            progress?.Report(Interlocked.Increment(ref done));
        });
        return adapters;
    }

    private TrainedAdapter TrainAdapter(Mlp model, LabeledImages train, LabeledImages test, string outputFolder, int index)
    {
        var task = settings.Tasks.Create(index, Derive(3, 0));
        LabeledImages taskTrain = task.Apply(train), taskTest = task.Apply(test);
        LoraWeights lora = LoraWeights.Initialise(model, settings.Rank, settings.Alpha, Derive(4, index));
        float[][] initialA = [.. lora.A.Select(a => a.ToArray())];
        _trainer.TrainLora(model, lora, taskTrain, settings.AdapterTraining with { Seed = Derive(5, index) });

        double moved = 0, initial = 0, bNorm = 0;
        for (int l = 0; l < lora.A.Count; l++)
        {
            for (int j = 0; j < initialA[l].Length; j++)
            {
                moved += Math.Pow(lora.A[l][j] - initialA[l][j], 2);
                initial += Math.Pow(initialA[l][j], 2);
            }

            foreach (float b in lora.B[l])
            {
                bNorm += Math.Pow(lora.Scaling * b, 2);
            }
        }

        bool inSample = index < settings.InSampleAdapters;
        string name = $"task-{index:D3}";
        string folder = Path.Combine(outputFolder, inSample ? InSampleFolder : HeldOutFolder, name);
        AdapterFiles.Write(folder, model, lora, BaseFolder, new Dictionary<string, string>
        {
            ["task"] = task.Description,
            ["task_id"] = index.ToString(CultureInfo.InvariantCulture),
            ["seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
        });
        return new TrainedAdapter(name, folder, task, inSample, _trainer.Accuracy(model, taskTest), _trainer.Accuracy(model, taskTest, lora),
            Math.Sqrt(moved / initial), Math.Sqrt(bNorm));
    }

    private int Derive(int purpose, int index) => Seeds.Derive(settings.Seed, purpose, index);
}
