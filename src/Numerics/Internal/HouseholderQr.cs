using System.Numerics;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// Thin QR by Householder reflections, accumulated in float64, producing the explicit Q factor (m×n, m ≥ n)
/// of a row-major matrix in place. Columns are processed as contiguous rows of a transposed float64 copy.
/// </summary>
internal static class HouseholderQr
{
    /// <summary>Replaces <paramref name="a"/> (m×n row-major) by the Q of its thin QR decomposition.</summary>
    public static void Orthonormalize<T>(int m, int n, Span<T> a)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var qtBuffer = new PooledArray<double>(m * n);
        using var vBuffer = new PooledArray<double>(m * n, clear: true);
        using var betaBuffer = new PooledArray<double>(n);
        Span<double> at = qtBuffer.Span;      // column j of A lives at at[j*m ..]
        Span<double> v = vBuffer.Span;        // reflector j lives at v[j*m ..], zero above j
        Span<double> beta = betaBuffer.Span;
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                at[(j * m) + i] = double.CreateTruncating(a[(i * n) + j]);
            }
        }

        for (int j = 0; j < n; j++)
        {
            Span<double> col = at.Slice(j * m, m);
            double norm = 0;
            for (int i = j; i < m; i++)
            {
                norm += col[i] * col[i];
            }

            norm = Math.Sqrt(norm);
            Span<double> vj = v.Slice(j * m, m);
            if (norm == 0)
            {
                beta[j] = 0;
                continue;
            }

            double alpha = col[j] > 0 ? -norm : norm;
            for (int i = j; i < m; i++)
            {
                vj[i] = col[i];
            }

            vj[j] -= alpha;
            double vNorm2 = 0;
            for (int i = j; i < m; i++)
            {
                vNorm2 += vj[i] * vj[i];
            }

            beta[j] = vNorm2 == 0 ? 0 : 2.0 / vNorm2;
            for (int c = j; c < n; c++)
            {
                Reflect(at.Slice(c * m, m), vj, beta[j], j, m);
            }
        }

        // Q = H_0 H_1 … H_{n-1} applied to the first n columns of the identity.
        at.Clear();
        for (int c = 0; c < n; c++)
        {
            Span<double> q = at.Slice(c * m, m);
            q[c] = 1.0;
            for (int j = Math.Min(c, n - 1); j >= 0; j--)
            {
                Reflect(q, v.Slice(j * m, m), beta[j], j, m);
            }
        }

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                a[(i * n) + j] = T.CreateTruncating(at[(j * m) + i]);
            }
        }
    }

    private static void Reflect(Span<double> x, ReadOnlySpan<double> v, double beta, int from, int m)
    {
        if (beta == 0)
        {
            return;
        }

        double dot = 0;
        for (int i = from; i < m; i++)
        {
            dot += v[i] * x[i];
        }

        dot *= beta;
        for (int i = from; i < m; i++)
        {
            x[i] -= dot * v[i];
        }
    }
}
