namespace OrleansUws.TrainedFleet.Training;

/// <summary>Mini-batch Adam settings of one training run.</summary>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchSize">Rows per step (the last batch of an epoch may be smaller).</param>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="Seed">Seed of the per-epoch shuffles.</param>
public sealed record TrainingOptions(int Epochs, int BatchSize, double LearningRate, int Seed);
