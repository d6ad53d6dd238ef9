namespace OrleansUws.Numerics.Backends;

/// <summary>
/// The small known computation a provider runs before offering its backend: a 2×3·3×2 GEMM with a known
/// product and the eigen-decomposition of [[2,1],[1,2]] (eigenvalues 1 and 3). Native providers (OpenBLAS,
/// CUDA) call it so that a library that loads but computes wrongly is skipped with a reason.
/// </summary>
public static class BackendVerification
{
    /// <summary>Runs the check; false with a message naming the failing step.</summary>
    public static bool Verify(IBlasBackend backend, out string failure)
    {
        ArgumentNullException.ThrowIfNull(backend);
        try
        {
            float[] a = [1, 2, 3, 4, 5, 6];
            float[] b = [7, 8, 9, 10, 11, 12];
            float[] c = new float[4];
            backend.Gemm(Transpose.No, Transpose.No, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2);
            float[] expected = [58, 64, 139, 154];
            for (int i = 0; i < 4; i++)
            {
                if (Math.Abs(c[i] - expected[i]) > 1e-3f)
                {
                    failure = $"GEMM gave {string.Join(", ", c)} instead of {string.Join(", ", expected)}";
                    return false;
                }
            }

            double[] s = [2, 1, 1, 2];
            double[] w = new double[2];
            backend.SymmetricEigen(2, s, w);
            if (Math.Abs(w[0] - 1) > 1e-9 || Math.Abs(w[1] - 3) > 1e-9 || Math.Abs(Math.Abs(s[1]) - Math.Sqrt(0.5)) > 1e-9)
            {
                failure = $"eigenvalues of [[2,1],[1,2]] came out {w[0]}, {w[1]}";
                return false;
            }

            failure = string.Empty;
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or ArithmeticException or ArgumentException or InvalidOperationException)
        {
            failure = $"{ex.GetType().Name}: {ex.Message}";
            return false;
        }
    }
}
