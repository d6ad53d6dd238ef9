using OrleansUws.Numerics.Backends;
using OrleansUws.TrainedFleet.Data;

namespace OrleansUws.TrainedFleet.Training;

/// <summary>Trains a base MLP or a LoRA on it with mini-batch Adam, and measures accuracy.</summary>
/// <param name="blas">The GEMM backend.</param>
public sealed class Trainer(IBlasBackend blas)
{
    private const int EvaluationBatch = 256;

    /// <summary>Trains the base model's weights and biases in place; returns the mean loss of the last epoch.</summary>
    public double TrainBase(Mlp model, LabeledImages data, TrainingOptions options) => Run(new MlpGraph(blas, model, null, options.BatchSize), data, options);

    /// <summary>Trains <paramref name="lora"/> in place on the frozen <paramref name="model"/>; returns the mean loss of the last epoch.</summary>
    public double TrainLora(Mlp model, LoraWeights lora, LabeledImages data, TrainingOptions options) => Run(new MlpGraph(blas, model, lora, options.BatchSize), data, options);

    /// <summary>Share of <paramref name="data"/> that <paramref name="model"/> (with <paramref name="lora"/> if given) classifies correctly.</summary>
    public double Accuracy(Mlp model, LabeledImages data, LoraWeights? lora = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var graph = new MlpGraph(blas, model, lora, EvaluationBatch);
        var predictions = new int[EvaluationBatch];
        int correct = 0;
        for (int start = 0; start < data.Count; start += EvaluationBatch)
        {
            int count = Math.Min(EvaluationBatch, data.Count - start);
            graph.Predict(data.Pixels.AsSpan(start * DigitsDataSet.PixelCount, count * DigitsDataSet.PixelCount), predictions.AsSpan(0, count));
            for (int i = 0; i < count; i++)
            {
                correct += predictions[i] == data.Labels[start + i] ? 1 : 0;
            }
        }

        return (double)correct / data.Count;
    }

    private static double Run(MlpGraph graph, LabeledImages data, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var optimizer = new AdamOptimizer(graph.Parameters, options.LearningRate);
        var random = new Random(options.Seed);
        int[] order = [.. Enumerable.Range(0, data.Count)];
        int width = DigitsDataSet.PixelCount;
        var pixels = new float[options.BatchSize * width];
        var labels = new int[options.BatchSize];
        double epochLoss = 0;
        for (int epoch = 0; epoch < options.Epochs; epoch++)
        {
            random.Shuffle(order);
            epochLoss = 0;
            for (int start = 0; start < order.Length; start += options.BatchSize)
            {
                int count = Math.Min(options.BatchSize, order.Length - start);
                for (int i = 0; i < count; i++)
                {
                    int index = order[start + i];
                    data.Pixels.AsSpan(index * width, width).CopyTo(pixels.AsSpan(i * width));
                    labels[i] = data.Labels[index];
                }

                epochLoss += graph.ForwardLoss(pixels.AsSpan(0, count * width), labels.AsSpan(0, count)) * count;
                graph.Backward(labels.AsSpan(0, count));
                optimizer.Step(graph.Gradients);
            }
        }

        return epochLoss / data.Count;
    }
}
