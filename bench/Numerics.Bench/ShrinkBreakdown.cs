using System.Diagnostics;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Numerics.Bench;

/// <summary>Times the three steps of one Frequent Directions shrink at the benchmark's shape (2ℓ × d).</summary>
internal static class ShrinkBreakdown
{
    public static void Print(IBlasBackend backend, int ell, int d, int repeats)
    {
        var random = new Random(3);
        var rows = new float[2 * ell * d];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = random.NextSingle() - 0.5f;
        }

        using var ws = backend.CreateSketchWorkspace(2 * ell, d);
        var gram = new double[4 * ell * ell];
        double gramSeconds = 0, planSeconds = 0, rotateSeconds = 0;
        for (int r = 0; r <= repeats; r++)
        {
            ws.SetRows(0, rows, 2 * ell);
            var sw = Stopwatch.StartNew();
            ws.Gram(2 * ell, gram);
            double g = sw.Elapsed.TotalSeconds;
            var plan = FrequentDirectionsShrink.Plan(backend, gram, 2 * ell, ell);
            double p = sw.Elapsed.TotalSeconds;
            FrequentDirectionsShrink.Apply(ws, plan);
            double a = sw.Elapsed.TotalSeconds;
            if (r > 0)
            {
                gramSeconds += g;
                planSeconds += p - g;
                rotateSeconds += a - p;
            }
        }

        var managed = new ManagedBlasBackend();
        var scratch = new double[gram.Length];
        var values = new double[2 * ell];
        double nativeEigen = 0, managedEigen = 0;
        for (int r = 0; r <= repeats; r++)
        {
            gram.CopyTo(scratch, 0);
            var sw = Stopwatch.StartNew();
            backend.SymmetricEigen(2 * ell, scratch, values);
            double e1 = sw.Elapsed.TotalSeconds;
            gram.CopyTo(scratch, 0);
            sw.Restart();
            managed.SymmetricEigen(2 * ell, scratch, values);
            double e2 = sw.Elapsed.TotalSeconds;
            if (r > 0)
            {
                nativeEigen += e1;
                managedEigen += e2;
            }
        }

        Console.WriteLine($"eigen {2 * ell}×{2 * ell} float64: {backend.Name} {1e3 * nativeEigen / repeats:F3} ms, managed {1e3 * managedEigen / repeats:F3} ms");
        double gramFlops = 4.0 * ell * ell * d, rotateFlops = 2.0 * (ell - 1) * 2 * ell * d;
        Console.WriteLine($"shrink step ({backend.Name}, 2ℓ = {2 * ell}, d = {d}), mean of {repeats}: Gram {1e3 * gramSeconds / repeats:F3} ms ({gramFlops * repeats / gramSeconds / 1e9:F1} GFLOP/s), " +
            $"eigen+plan {1e3 * planSeconds / repeats:F3} ms, rotation {1e3 * rotateSeconds / repeats:F3} ms ({rotateFlops * repeats / rotateSeconds / 1e9:F1} GFLOP/s)");
    }
}
