using OrleansUws.Numerics.Backends;
using OrleansUws.TrainedFleet.Training;
using Xunit;

namespace OrleansUws.TrainedFleet.Tests;

/// <summary>The hand-written backward pass against central finite differences of the forward loss.</summary>
public sealed class GradientCheckTests
{
    private const int Batch = 5;
    private static readonly int[] Sizes = [6, 5, 4, 3];

    [Fact]
    public void BaseGradientsMatchFiniteDifferences()
    {
        Mlp model = TinyModel();
        var graph = new MlpGraph(new ManagedBlasBackend(), model, null, Batch);
        (float[] x, int[] y) = Batch_();
        AssertGradients(graph, x, y);
    }

    [Fact]
    public void LoraGradientsMatchFiniteDifferences()
    {
        Mlp model = TinyModel();
        LoraWeights lora = LoraWeights.Initialise(model, rank: 2, alpha: 3, seed: 5);
        var random = new Random(6);
        foreach (float[] b in lora.B)
        {
            // B starts at zero; give it values so that dA is not trivially zero.
            for (int i = 0; i < b.Length; i++)
            {
                b[i] = (float)(random.NextDouble() - 0.5);
            }
        }

        var graph = new MlpGraph(new ManagedBlasBackend(), model, lora, Batch);
        (float[] x, int[] y) = Batch_();
        AssertGradients(graph, x, y);
    }

    [Fact]
    public void LoraStartsAtTheBaseModelAndItsBGradientIsNonZero()
    {
        Mlp model = TinyModel();
        LoraWeights lora = LoraWeights.Initialise(model, rank: 2, alpha: 4, seed: 5);
        (float[] x, int[] y) = Batch_();
        double baseLoss = new MlpGraph(new ManagedBlasBackend(), model, null, Batch).ForwardLoss(x, y);
        var graph = new MlpGraph(new ManagedBlasBackend(), model, lora, Batch);
        Assert.Equal(baseLoss, graph.ForwardLoss(x, y));
        graph.Backward(y);
        for (int l = 0; l < model.Layers.Count; l++)
        {
            Assert.All(graph.Gradients[2 * l], g => Assert.Equal(0f, g));       // dA = 0 while B = 0
            Assert.Contains(graph.Gradients[(2 * l) + 1], g => g != 0f);         // dB is not
            Assert.All(lora.B[l], b => Assert.Equal(0f, b));                    // ΔW = s·B·A starts at zero
        }
    }

    private static Mlp TinyModel()
    {
        Mlp model = Mlp.Create(["fc1", "fc2", "fc3"], Sizes, seed: 3);
        var random = new Random(4);
        foreach (DenseLayer layer in model.Layers)
        {
            for (int i = 0; i < layer.Bias.Length; i++)
            {
                layer.Bias[i] = (float)(0.2 * (random.NextDouble() - 0.3));
            }
        }

        return model;
    }

    private static (float[] Pixels, int[] Labels) Batch_()
    {
        var random = new Random(2);
        float[] x = [.. Enumerable.Range(0, Batch * Sizes[0]).Select(_ => (float)random.NextDouble())];
        int[] y = [.. Enumerable.Range(0, Batch).Select(i => i % Sizes[^1])];
        return (x, y);
    }

    private static void AssertGradients(MlpGraph graph, float[] x, int[] y)
    {
        graph.ForwardLoss(x, y);
        graph.Backward(y);
        float[][] analytic = [.. graph.Gradients.Select(g => g.ToArray())];
        const float step = 1e-3f; // small enough not to cross a ReLU kink, large enough for float32 losses
        int checkedCount = 0;
        for (int p = 0; p < graph.Parameters.Count; p++)
        {
            float[] theta = graph.Parameters[p];
            for (int i = 0; i < theta.Length; i++)
            {
                float saved = theta[i];
                theta[i] = saved + step;
                double plus = graph.ForwardLoss(x, y);
                theta[i] = saved - step;
                double minus = graph.ForwardLoss(x, y);
                theta[i] = saved;
                double numeric = (plus - minus) / (2 * step);
                double error = Math.Abs(numeric - analytic[p][i]);
                Assert.True(error <= 2e-4 + (1e-2 * Math.Abs(numeric)),
                    $"parameter {p} element {i}: backprop {analytic[p][i]:G6}, finite difference {numeric:G6}");
                checkedCount++;
            }
        }

        Assert.Equal(graph.Parameters.Sum(t => t.Length), checkedCount);
        Assert.Contains(analytic, g => g.Any(v => Math.Abs(v) > 1e-3));
    }
}
