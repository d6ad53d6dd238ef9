using System.Diagnostics;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Numerics.Bench;

/// <summary>
/// Times the steps of one Frequent Directions shrink at the benchmark's shape (2ℓ × d): the whole Gram (SYRK), the
/// Gram columns of the rows appended since the last shrink (what a sketch with ℓ orthogonal retained rows
/// computes), the eigen-solve (all pairs in float32 and float64, and the partial float32 solve the plan runs), and the rotation. With <c>hostKernels</c> given, on a
/// <see cref="HostSketchWorkspace"/> with the x86 shrink kernels on or off; otherwise on the backend's own workspace.
/// </summary>
internal static class ShrinkBreakdown
{
    public static void Print(IBlasBackend backend, int ell, int d, int repeats, bool? hostKernels = null)
    {
        var random = new Random(3);
        int rows = 2 * ell, retained = ell;
        var data = new float[rows * d];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = random.NextSingle() - 0.5f;
        }

        using var ws = hostKernels is bool host ? new HostSketchWorkspace(backend, rows, d, host) : backend.CreateSketchWorkspace(rows, d);
        string kernels = ws is HostSketchWorkspace h ? h.Kernels : backend.Name;
        var gram = new double[rows * rows];
        var columns = new double[rows * (rows - retained)];
        double full = 0, partial = 0, plan = 0, rotate = 0;
        for (int r = 0; r <= repeats; r++)
        {
            ws.SetRows(0, data, rows);
            var sw = Stopwatch.StartNew();
            ws.Gram(rows, gram);
            double g = sw.Elapsed.TotalSeconds;
            sw.Restart();
            ws.GramColumns(rows, retained, columns);
            double c = sw.Elapsed.TotalSeconds;
            sw.Restart();
            var shrink = FrequentDirectionsShrink.Plan(backend, gram, rows, ell);
            double p = sw.Elapsed.TotalSeconds;
            sw.Restart();
            FrequentDirectionsShrink.Apply(ws, shrink);
            double a = sw.Elapsed.TotalSeconds;
            if (r > 0)
            {
                full += g;
                partial += c;
                plan += p;
                rotate += a;
            }
        }

        var scratch = new double[gram.Length];
        var values = new double[rows];
        double eigen64 = 0;
        for (int r = 0; r <= repeats; r++)
        {
            gram.CopyTo(scratch, 0);
            var sw = Stopwatch.StartNew();
            backend.SymmetricEigen(rows, scratch, values);
            if (r > 0)
            {
                eigen64 += sw.Elapsed.TotalSeconds;
            }
        }

        var (eigen32, eigenTop, _) = TimeFloatEigen(backend, gram, rows, ell, repeats);

        double ms(double seconds) => 1e3 * seconds / repeats;
        double fullFlops = (double)rows * rows * d, partialFlops = 2.0 * rows * (rows - retained) * d, rotateFlops = 2.0 * retained * rows * d;
        Console.WriteLine($"shrink step ({kernels}, 2ℓ = {rows}, d = {d}), mean of {repeats}: whole Gram {ms(full):F3} ms ({fullFlops * repeats / full / 1e9:F1} GFLOP/s), " +
            $"Gram columns of the {rows - retained} new rows {ms(partial):F3} ms ({partialFlops * repeats / partial / 1e9:F1} GFLOP/s), eigen+plan {ms(plan):F3} ms, " +
            $"rotation {ms(rotate):F3} ms ({rotateFlops * repeats / rotate / 1e9:F1} GFLOP/s); eigen {rows}×{rows} float32 all {ms(eigen32):F3} ms, " +
            $"top {ell + 1} values/{ell} vectors (what the plan runs) {ms(eigenTop):F3} ms, float64 all {ms(eigen64):F3} ms");
    }

    /// <summary>
    /// The eigen-solve on a Gram the fleet's sketch really forms: the buffer of an FD sketch of the planted fleet just
    /// before a shrink (ℓ retained rows and 4 adapters' rows, after at least <paramref name="models"/> models). Such
    /// spectra are graded (one direction carries most of the energy, the rest of the top 2ℓ sits within ~1e-5 of it), so
    /// solvers behave differently than on the random Gram of <see cref="Print"/>: divide and conquer deflates heavily.
    /// </summary>
    public static void PrintFleetEigen(IBlasBackend backend, PlantedFleet fleet, int ell, int models, int repeats)
    {
        int d = fleet.InFeatures, r = fleet.Rank, rows = 2 * ell;
        var options = new SketchOptions(SketchKind.FrequentDirections, d, ell, MeanMode.Track);
        var factory = new CovarianceSketchFactory(backend);
        var b = new float[fleet.OutFeatures * r];
        var a = new float[r * d];
        var buffer = new float[rows * d];
        int t = 0;
        using (var sketch = (FrequentDirectionsSketch)factory.Create(options))
        {
            while (t < models || sketch.BufferedRows != rows - r)
            {
                sketch.AppendLora(fleet.Model(backend, t++, b, a), SketchAxis.Rows);
            }

            sketch.CopyRows(buffer);
        }

        // The next adapter's r rows, as the sketch would append them (a fresh sketch holds exactly those).
        using (var next = (FrequentDirectionsSketch)factory.Create(options))
        {
            next.AppendLora(fleet.Model(backend, t, b, a), SketchAxis.Rows);
            next.CopyRows(buffer.AsSpan((rows - r) * d));
        }

        var wide = buffer.Select(x => (double)x).ToArray();
        var gram = new double[rows * rows];
        backend.Gemm(Transpose.No, Transpose.Yes, rows, rows, d, 1.0, wide, d, wide, d, 0.0, gram, rows);
        var (full, top, ratio) = TimeFloatEigen(backend, gram, rows, ell, repeats);
        Console.WriteLine($"eigen-solve of a fleet shrink Gram ({backend.Name}, after {t} models, 2ℓ = {rows}, λ_ℓ+1/λ_1 = {ratio:E1}), mean of {repeats}: " +
            $"all pairs {1e3 * full / repeats:F3} ms, top {ell + 1} values/{ell} vectors {1e3 * top / repeats:F3} ms");
    }

    /// <summary>
    /// Total seconds over <paramref name="repeats"/> (after one warm-up) of the float32 eigen-solves of <paramref name="gram"/>:
    /// all pairs, and the partial solve the shrink plan runs (ℓ + 1 values, ℓ vectors); and that solve's λ_ℓ+1/λ_1.
    /// </summary>
    private static (double All, double Top, double Ratio) TimeFloatEigen(IBlasBackend backend, double[] gram, int rows, int ell, int repeats)
    {
        var single = new float[gram.Length];
        var all = new float[rows];
        var topValues = new float[ell + 1];
        var topVectors = new float[ell * rows];
        double full = 0, top = 0;
        for (int repeat = 0; repeat <= repeats; repeat++)
        {
            System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(gram, single);
            var sw = Stopwatch.StartNew();
            backend.SymmetricEigen(rows, single, all);
            double f = sw.Elapsed.TotalSeconds;
            System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<double, float>(gram, single);
            sw.Restart();
            backend.SymmetricEigenTop(rows, single, ell + 1, ell, topValues, topVectors);
            double p = sw.Elapsed.TotalSeconds;
            if (repeat > 0)
            {
                full += f;
                top += p;
            }
        }

        return (full, top, topValues[ell] / topValues[0]);
    }

    /// <summary>
    /// The host work per LoRA adapter outside the shrinks, on one sketch and thread: <paramref name="models"/> adapters
    /// absorbed as factors, against the same number of pre-formed r-row blocks (same rows, same shrinks) appended
    /// as rows. The factors are generated before either timing and cycled so that both read cold memory alike.
    /// </summary>
    public static void PrintAdapterOverhead(IBlasBackend backend, PlantedFleet fleet, int ell, int models)
    {
        const int Distinct = 64;   // 32 MiB of factors: beyond the caches, like adapters read from files
        var factors = Enumerable.Range(0, Distinct)
            .Select(t => fleet.Model(backend, t, new float[fleet.OutFeatures * fleet.Rank], new float[fleet.Rank * fleet.InFeatures]))
            .ToArray();
        var blocks = factors.Select(lora => lora.A.ToArray()).ToArray();   // r rows of d: the right shape, any content
        var options = new SketchOptions(SketchKind.FrequentDirections, fleet.InFeatures, ell, MeanMode.Track);
        var factory = new CovarianceSketchFactory(backend);
        double lora = double.MaxValue, rows = double.MaxValue;
        for (int repeat = 0; repeat < 3; repeat++)
        {
            using (var sketch = factory.Create(options))
            {
                var sw = Stopwatch.StartNew();
                for (int t = 0; t < models; t++)
                {
                    sketch.AppendLora(factors[t % Distinct], SketchAxis.Rows);
                }

                lora = Math.Min(lora, sw.Elapsed.TotalSeconds);
            }

            using (var sketch = factory.Create(options))
            {
                var sw = Stopwatch.StartNew();
                for (int t = 0; t < models; t++)
                {
                    sketch.AppendRows(blocks[t % Distinct], fleet.Rank);
                }

                rows = Math.Min(rows, sw.Elapsed.TotalSeconds);
            }
        }

        Console.WriteLine($"per adapter on one sketch ({backend.Name}, best of 3 × {models}): as LoRA factors {1e3 * lora / models:F3} ms, as pre-formed {fleet.Rank}-row blocks " +
            $"{1e3 * rows / models:F3} ms → host work outside the shrinks ≈ {1e3 * (lora - rows) / models:F3} ms per adapter");
    }
}
