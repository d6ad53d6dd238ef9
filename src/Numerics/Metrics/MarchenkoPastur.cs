namespace OrleansUws.Numerics.Metrics;

/// <summary>
/// The Marchenko–Pastur null model: what a basis would "explain" if the stacked rows were iid Gaussian noise
/// with matched entry variance. For an N×d matrix with γ = min(N,d)/max(N,d), the p = min(N,d) non-zero
/// eigenvalues of the normalised Gram follow the MP law on [(1−√γ)², (1+√γ)²] with mean 1; the expected share
/// of variance in the top k components is ∫ x f(x) dx over the top k/p of the mass. A measured explained
/// energy near this number means the layer has no shared structure.
/// </summary>
public static class MarchenkoPastur
{
    // Halving [0, π] this often pins φ to the last bit of a double.
    private const int BisectionSteps = 60;

    /// <summary>The support [(1−√γ)², (1+√γ)²] of the eigenvalues of XᵀX/max(N,d) for unit-variance entries.</summary>
    public static (double Lower, double Upper) Edges(long rows, long cols)
    {
        double gamma = Ratio(rows, cols);
        double r = Math.Sqrt(gamma);
        return ((1 - r) * (1 - r), (1 + r) * (1 + r));
    }

    /// <summary>Expected share of total variance in the top <paramref name="k"/> components of an iid rows×cols Gaussian matrix.</summary>
    public static double NullExplainedVariance(long rows, long cols, int k)
    {
        double gamma = Ratio(rows, cols);
        long p = Math.Min(rows, cols);
        if (k < 1 || k > p)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [1, {p}] for a {rows}×{cols} matrix.");
        }

        if (k == p)
        {
            return 1.0;
        }

        // x = c + h·cos φ (c = (a+b)/2, h = (b−a)/2), φ from 0 (x = b) to π (x = a): f(x)dx = h² sin²φ / (2πγx) dφ, whose
        // integrals have closed forms (ab = c² − h²): the mass above x(φ) is h²/(2πγ)·(c·φ/h² − sin φ/h −
        // 2√(ab)/h²·atan(√(a/b)·tan(φ/2))) and the energy h²/(2πγ)·(φ/2 − sin 2φ/4). The mass rises with φ, so the φ
        // holding the top k/p of it is found by bisection.
        var (a, b) = Edges(rows, cols);
        double c = (a + b) / 2, h = (b - a) / 2, root = Math.Sqrt(a * b), ratio = Math.Sqrt(a / b);
        double scale = h * h / (2 * Math.PI * gamma);
        double targetMass = (double)k / p;
        double lower = 0, upper = Math.PI;
        for (int i = 0; i < BisectionSteps; i++)
        {
            double middle = 0.5 * (lower + upper);
            double mass = scale * ((c * middle / (h * h)) - (Math.Sin(middle) / h) - (2 * root / (h * h) * Math.Atan(ratio * Math.Tan(middle / 2))));
            (lower, upper) = mass < targetMass ? (middle, upper) : (lower, middle);
        }

        double phi = 0.5 * (lower + upper);
        return scale * ((phi / 2) - (Math.Sin(2 * phi) / 4));
    }

    private static double Ratio(long rows, long cols)
    {
        if (rows < 1 || cols < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(rows), $"A {rows}×{cols} matrix has no entries.");
        }

        return (double)Math.Min(rows, cols) / Math.Max(rows, cols);
    }
}
