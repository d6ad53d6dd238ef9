using System.Diagnostics;
using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Bench;

/// <summary>Measures a backend's square sgemm rate: best of several runs of C = A·B at size n.</summary>
internal static class GemmRate
{
    public static double Measure(IBlasBackend backend, int n, int repeats)
    {
        var random = new Random(1);
        var a = new float[n * n];
        var b = new float[n * n];
        var c = new float[n * n];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = random.NextSingle();
            b[i] = random.NextSingle();
        }

        backend.Gemm(Transpose.No, Transpose.No, n, n, n, 1f, a, n, b, n, 0f, c, n);   // warm-up
        double best = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            backend.Gemm(Transpose.No, Transpose.No, n, n, n, 1f, a, n, b, n, 0f, c, n);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }

        return 2.0 * n * n * n / best / 1e9;
    }
}
