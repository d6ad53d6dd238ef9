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
    private const int Steps = 20000;

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

        var (a, b) = Edges(rows, cols);
        double targetMass = (double)k / p;

        // x = (a+b)/2 + (b−a)/2·cos φ, φ from 0 (x = b) to π (x = a): f(x)dx = ((b−a)/2)² sin²φ / (2πγx) dφ.
        double half = (b - a) / 2;
        double h = Math.PI / Steps;
        double mass = 0, energy = 0;
        double previousF = 0, previousX = b;
        for (int i = 1; i <= Steps; i++)
        {
            double phi = i * h;
            double x = ((a + b) / 2) + (half * Math.Cos(phi));
            double density = half * half * Math.Sin(phi) * Math.Sin(phi) / (2 * Math.PI * gamma * x);
            double stepMass = 0.5 * (previousF + density) * h;
            double stepEnergy = 0.5 * ((previousF * previousX) + (density * x)) * h;
            if (mass + stepMass >= targetMass)
            {
                double fraction = stepMass > 0 ? (targetMass - mass) / stepMass : 0;
                return energy + (fraction * stepEnergy);
            }

            mass += stepMass;
            energy += stepEnergy;
            previousF = density;
            previousX = x;
        }

        return energy;
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
