namespace OrleansUws.Cluster.Tests;

/// <summary>
/// Independent double-precision reference maths for the tests (deliberately not the numerics library under test):
/// cyclic Jacobi eigen-decomposition and principal angles.
/// </summary>
internal static class Reference
{
    /// <summary>Eigen-decomposition of symmetric a (n×n, row-major, copied): eigenvalues descending, eigenvectors as rows.</summary>
    public static (double[] Values, double[] Vectors) SymmetricEigen(double[] a, int n)
    {
        var m = (double[])a.Clone();
        var v = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            v[(i * n) + i] = 1;
        }

        for (var sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, diag = 0;
            for (var i = 0; i < n; i++)
            {
                diag += m[(i * n) + i] * m[(i * n) + i];
                for (var j = i + 1; j < n; j++)
                {
                    off += m[(i * n) + j] * m[(i * n) + j];
                }
            }

            if (off <= 1e-30 * Math.Max(diag, 1e-300))
            {
                break;
            }

            for (var p = 0; p < n; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    var apq = m[(p * n) + q];
                    if (apq == 0)
                    {
                        continue;
                    }

                    var theta = (m[(q * n) + q] - m[(p * n) + p]) / (2 * apq);
                    var t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
                    var c = 1 / Math.Sqrt((t * t) + 1);
                    var s = t * c;
                    for (var k = 0; k < n; k++)
                    {
                        double mkp = m[(k * n) + p], mkq = m[(k * n) + q];
                        m[(k * n) + p] = (c * mkp) - (s * mkq);
                        m[(k * n) + q] = (s * mkp) + (c * mkq);
                    }

                    for (var k = 0; k < n; k++)
                    {
                        double mpk = m[(p * n) + k], mqk = m[(q * n) + k];
                        m[(p * n) + k] = (c * mpk) - (s * mqk);
                        m[(q * n) + k] = (s * mpk) + (c * mqk);
                    }

                    for (var k = 0; k < n; k++)
                    {
                        double vkp = v[(k * n) + p], vkq = v[(k * n) + q];
                        v[(k * n) + p] = (c * vkp) - (s * vkq);
                        v[(k * n) + q] = (s * vkp) + (c * vkq);
                    }
                }
            }
        }

        var order = Enumerable.Range(0, n).OrderByDescending(i => m[(i * n) + i]).ToArray();
        var values = order.Select(i => m[(i * n) + i]).ToArray();
        var vectors = new double[n * n];
        for (var r = 0; r < n; r++)
        {
            for (var k = 0; k < n; k++)
            {
                vectors[(r * n) + k] = v[(k * n) + order[r]];
            }
        }

        return (values, vectors);
    }

    /// <summary>
    /// sin of the largest principal angle between span(rows of u) and span(rows of v) (both k×d with orthonormal
    /// rows): √(1 − σ_min(U Vᵀ)²).
    /// </summary>
    public static double SinThetaMax(ReadOnlySpan<float> u, ReadOnlySpan<double> v, int k, int d)
    {
        // M = U Vᵀ (k×k); its singular values are the cosines of the principal angles: eigenvalues of MᵀM.
        var m = new double[k * k];
        for (var i = 0; i < k; i++)
        {
            for (var j = 0; j < k; j++)
            {
                double sum = 0;
                for (var x = 0; x < d; x++)
                {
                    sum += u[(i * d) + x] * v[(j * d) + x];
                }

                m[(i * k) + j] = sum;
            }
        }

        var mtm = new double[k * k];
        AddGram(m, k, k, mtm);
        var smallest = SymmetricEigen(mtm, k).Values.Min();
        return Math.Sqrt(Math.Max(0, 1 - smallest));
    }

    /// <summary>Adds Xᵀ·X (X rows×cols, row-major) into gram (cols×cols).</summary>
    public static void AddGram(ReadOnlySpan<double> x, int rows, int cols, double[] gram)
    {
        for (var r = 0; r < rows; r++)
        {
            var row = x.Slice(r * cols, cols);
            for (var i = 0; i < cols; i++)
            {
                double xi = row[i];
                for (var j = 0; j < cols; j++)
                {
                    gram[(i * cols) + j] += xi * row[j];
                }
            }
        }
    }
}
