using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// Symmetric eigen-decomposition in float64: Householder tridiagonalisation followed by the implicit QL
/// algorithm (the EISPACK tred2/tql2 pair as published in JAMA). O(n³); used by the managed backend and for
/// the small k×k problems of the metrics. Eigenvalues come out ascending, eigenvectors as columns.
/// </summary>
internal static class SymmetricEigenSolver
{
    /// <summary>
    /// On entry <paramref name="v"/> holds the n×n symmetric matrix (row-major); on return its column j
    /// (v[i*n + j]) is the unit eigenvector of <paramref name="d"/>[j], eigenvalues ascending.
    /// </summary>
    public static void Solve(int n, Span<double> v, Span<double> d)
    {
        if (n == 0)
        {
            return;
        }

        using var eBuffer = new PooledArray<double>(n, clear: true);
        using var wBuffer = new PooledArray<double>(n * n);
        Span<double> e = eBuffer.Span;
        Span<double> w = wBuffer.Span;
        Tridiagonalize(n, v, d, e);

        // The QL sweeps rotate pairs of eigenvector columns; on the transpose W = Vᵀ those are contiguous rows.
        MatrixLayout.Transpose<double>(v, n, n, w);
        QlIterate(n, w, d, e);
        MatrixLayout.Transpose<double>(w, n, n, v);
    }

    private static void Rotate(Span<double> rowI, Span<double> rowNext, double c, double s)
    {
        // (rowI, rowNext) ← (c·rowI − s·rowNext, s·rowI + c·rowNext)
        int k = 0;
        int width = System.Numerics.Vector<double>.Count;
        var vc = new System.Numerics.Vector<double>(c);
        var vs = new System.Numerics.Vector<double>(s);
        for (; k + width <= rowI.Length; k += width)
        {
            var a = new System.Numerics.Vector<double>(rowI.Slice(k, width));
            var h = new System.Numerics.Vector<double>(rowNext.Slice(k, width));
            ((vs * a) + (vc * h)).CopyTo(rowNext.Slice(k, width));
            ((vc * a) - (vs * h)).CopyTo(rowI.Slice(k, width));
        }

        for (; k < rowI.Length; k++)
        {
            double h = rowNext[k];
            rowNext[k] = (s * rowI[k]) + (c * h);
            rowI[k] = (c * rowI[k]) - (s * h);
        }
    }

    private static void Tridiagonalize(int n, Span<double> v, Span<double> d, Span<double> e)
    {
        for (int j = 0; j < n; j++)
        {
            d[j] = v[((n - 1) * n) + j];
        }

        for (int i = n - 1; i > 0; i--)
        {
            double scale = 0.0;
            double h = 0.0;
            for (int k = 0; k < i; k++)
            {
                scale += Math.Abs(d[k]);
            }

            if (scale == 0.0)
            {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++)
                {
                    d[j] = v[((i - 1) * n) + j];
                    v[(i * n) + j] = 0.0;
                    v[(j * n) + i] = 0.0;
                }
            }
            else
            {
                for (int k = 0; k < i; k++)
                {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }

                double f = d[i - 1];
                double g = Math.Sqrt(h);
                if (f > 0)
                {
                    g = -g;
                }

                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++)
                {
                    e[j] = 0.0;
                }

                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    v[(j * n) + i] = f;
                    g = e[j] + (v[(j * n) + j] * f);
                    for (int k = j + 1; k <= i - 1; k++)
                    {
                        g += v[(k * n) + j] * d[k];
                        e[k] += v[(k * n) + j] * f;
                    }

                    e[j] = g;
                }

                f = 0.0;
                for (int j = 0; j < i; j++)
                {
                    e[j] /= h;
                    f += e[j] * d[j];
                }

                double hh = f / (h + h);
                for (int j = 0; j < i; j++)
                {
                    e[j] -= hh * d[j];
                }

                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++)
                    {
                        v[(k * n) + j] -= (f * e[k]) + (g * d[k]);
                    }

                    d[j] = v[((i - 1) * n) + j];
                    v[(i * n) + j] = 0.0;
                }
            }

            d[i] = h;
        }

        for (int i = 0; i < n - 1; i++)
        {
            v[((n - 1) * n) + i] = v[(i * n) + i];
            v[(i * n) + i] = 1.0;
            double h = d[i + 1];
            if (h != 0.0)
            {
                for (int k = 0; k <= i; k++)
                {
                    d[k] = v[(k * n) + i + 1] / h;
                }

                for (int j = 0; j <= i; j++)
                {
                    double g = 0.0;
                    for (int k = 0; k <= i; k++)
                    {
                        g += v[(k * n) + i + 1] * v[(k * n) + j];
                    }

                    for (int k = 0; k <= i; k++)
                    {
                        v[(k * n) + j] -= g * d[k];
                    }
                }
            }

            for (int k = 0; k <= i; k++)
            {
                v[(k * n) + i + 1] = 0.0;
            }
        }

        for (int j = 0; j < n; j++)
        {
            d[j] = v[((n - 1) * n) + j];
            v[((n - 1) * n) + j] = 0.0;
        }

        v[((n - 1) * n) + n - 1] = 1.0;
        e[0] = 0.0;
    }

    /// <summary>Implicit QL on the tridiagonal (d, e); <paramref name="w"/> holds the eigenvectors as rows (transposed).</summary>
    private static void QlIterate(int n, Span<double> w, Span<double> d, Span<double> e)
    {
        for (int i = 1; i < n; i++)
        {
            e[i - 1] = e[i];
        }

        e[n - 1] = 0.0;
        double f = 0.0;
        double tst1 = 0.0;
        double eps = Math.Pow(2.0, -52.0);
        for (int l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n)
            {
                if (Math.Abs(e[m]) <= eps * tst1)
                {
                    break;
                }

                m++;
            }

            if (m > l)
            {
                int iterations = 0;
                do
                {
                    if (++iterations > 100)
                    {
                        throw new ArithmeticException($"Symmetric eigen-solver did not converge for eigenvalue {l} of a {n}×{n} matrix (NaN or Inf input?).");
                    }

                    double g = d[l];
                    double p = (d[l + 1] - g) / (2.0 * e[l]);
                    double r = Hypot(p, 1.0);
                    if (p < 0)
                    {
                        r = -r;
                    }

                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++)
                    {
                        d[i] -= h;
                    }

                    f += h;
                    p = d[m];
                    double c = 1.0, c2 = 1.0, c3 = 1.0;
                    double el1 = e[l + 1];
                    double s = 0.0, s2 = 0.0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = (c * d[i]) - (s * g);
                        d[i + 1] = h + (s * ((c * g) + (s * d[i])));
                        Rotate(w.Slice(i * n, n), w.Slice((i + 1) * n, n), c, s);
                    }

                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                }
                while (Math.Abs(e[l]) > eps * tst1);
            }

            d[l] += f;
            e[l] = 0.0;
        }

        SortAscending(n, w, d);
    }

    /// <summary>Selection sort of the eigenvalues with their eigenvector rows (of the transposed storage).</summary>
    private static void SortAscending(int n, Span<double> w, Span<double> d)
    {
        for (int i = 0; i < n - 1; i++)
        {
            int k = i;
            double p = d[i];
            for (int j = i + 1; j < n; j++)
            {
                if (d[j] < p)
                {
                    k = j;
                    p = d[j];
                }
            }

            if (k != i)
            {
                d[k] = d[i];
                d[i] = p;
                for (int j = 0; j < n; j++)
                {
                    (w[(i * n) + j], w[(k * n) + j]) = (w[(k * n) + j], w[(i * n) + j]);
                }
            }
        }
    }

    private static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y)
        {
            (x, y) = (y, x);
        }

        if (x == 0.0)
        {
            return 0.0;
        }

        double t = y / x;
        return x * Math.Sqrt(1.0 + (t * t));
    }
}
