namespace OrleansUws.TrainedFleet.Training;

/// <summary>
/// Adam (Kingma and Ba, 2015) with bias correction: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
/// θ ← θ − lr·m̂/(√v̂ + ε), no weight decay (the fleet's adapters are plain LoRA).
/// </summary>
public sealed class AdamOptimizer
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;

    private readonly IReadOnlyList<float[]> _parameters;
    private readonly float[][] _first;
    private readonly float[][] _second;
    private int _step;

    /// <summary>Creates the state for <paramref name="parameters"/>.</summary>
    public AdamOptimizer(IReadOnlyList<float[]> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(learningRate);
        _parameters = parameters;
        LearningRate = learningRate;
        _first = [.. parameters.Select(p => new float[p.Length])];
        _second = [.. parameters.Select(p => new float[p.Length])];
    }

    /// <summary>The step size.</summary>
    public double LearningRate { get; }

    /// <summary>Applies one step with <paramref name="gradients"/> (same shapes as the parameters).</summary>
    public void Step(IReadOnlyList<float[]> gradients)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        _step++;
        double correction1 = 1 - Math.Pow(Beta1, _step);
        double correction2 = 1 - Math.Pow(Beta2, _step);
        float stepSize = (float)(LearningRate * Math.Sqrt(correction2) / correction1);
        for (int p = 0; p < _parameters.Count; p++)
        {
            float[] theta = _parameters[p], g = gradients[p], m = _first[p], v = _second[p];
            for (int i = 0; i < theta.Length; i++)
            {
                m[i] = (float)((Beta1 * m[i]) + ((1 - Beta1) * g[i]));
                v[i] = (float)((Beta2 * v[i]) + ((1 - Beta2) * g[i] * g[i]));
                theta[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) + (float)(Epsilon * Math.Sqrt(correction2)));
            }
        }
    }
}
