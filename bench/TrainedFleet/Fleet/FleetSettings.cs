using OrleansUws.TrainedFleet.Tasks;
using OrleansUws.TrainedFleet.Training;

namespace OrleansUws.TrainedFleet.Fleet;

/// <summary>Everything that decides the trained fleet; every random choice derives from <see cref="Seed"/>.</summary>
public sealed record FleetSettings
{
    /// <summary>Module paths of the MLP's layers.</summary>
    public IReadOnlyList<string> LayerNames { get; init; } = ["fc1", "fc2", "fc3"];

    /// <summary>Widths, input first (64 pixels → 128 → 128 → 10 classes).</summary>
    public IReadOnlyList<int> LayerSizes { get; init; } = [64, 128, 128, 10];

    /// <summary>Master seed.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Images held out of every training set (the same images for every task, each task transforms them its way).</summary>
    public int TestImages { get; init; } = 540;

    /// <summary>Adapters the bases are fitted on.</summary>
    public int InSampleAdapters { get; init; } = 96;

    /// <summary>Adapters never seen by the fit.</summary>
    public int HeldOutAdapters { get; init; } = 24;

    /// <summary>LoRA rank r.</summary>
    public int Rank { get; init; } = 8;

    /// <summary>lora_alpha (scaling α/r).</summary>
    public double Alpha { get; init; } = 16;

    /// <summary>The task family.</summary>
    public TaskFamily Tasks { get; init; } = new();

    /// <summary>Base model training (seed offset from <see cref="Seed"/> applied by the builder).</summary>
    public TrainingOptions BaseTraining { get; init; } = new(Epochs: 40, BatchSize: 32, LearningRate: 1e-3, Seed: 0);

    /// <summary>Adapter training (seed offset per task applied by the builder).</summary>
    public TrainingOptions AdapterTraining { get; init; } = new(Epochs: 20, BatchSize: 32, LearningRate: 2e-3, Seed: 0);

    /// <summary>Adapters trained at once (each single-threaded).</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>All adapters, in-sample first.</summary>
    public int AdapterCount => InSampleAdapters + HeldOutAdapters;
}
