using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// Argument checks of the row-major <see cref="IBlasBackend"/> contract, done on the host before any device work so
/// that a rejected call changes nothing. Each failure is an <see cref="ArgumentException"/> naming the argument,
/// the shape and the lengths.
/// </summary>
public static class BlasArguments
{
    /// <summary>The elements a row-major rows×cols matrix with leading dimension <paramref name="ld"/> spans: (rows−1)·ld + cols, or 0 when empty.</summary>
    public static long RequiredLength(int rows, int cols, int ld) =>
        rows == 0 || cols == 0 ? 0 : ((long)(rows - 1) * ld) + cols;

    /// <summary>Checks a row-major operand: ld ≥ max(1, cols) and length ≥ <see cref="RequiredLength"/>.</summary>
    public static void CheckMatrix(string name, int rows, int cols, int ld, int length, string ldName)
    {
        if (ld < Math.Max(1, cols))
        {
            throw new ArgumentException($"{ldName} = {ld} is less than the {cols} columns of {name} ({rows}×{cols}, row-major).", ldName);
        }

        var required = RequiredLength(rows, cols, ld);
        if (length < required)
        {
            throw new ArgumentException($"{name} has {length} elements; a {rows}×{cols} row-major matrix with {ldName} = {ld} needs {required}.", name);
        }
    }

    /// <summary>Throws when any of the named dimensions is negative.</summary>
    public static void CheckNonNegative(int m, int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
    }

    /// <summary>Checks a GEMM call and returns the stored shapes (rows, cols) of A and B.</summary>
    public static ((int Rows, int Cols) A, (int Rows, int Cols) B) CheckGemm(Transpose transA, Transpose transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        CheckNonNegative(m, n, k);
        var a = transA == Transpose.No ? (m, k) : (k, m);
        var b = transB == Transpose.No ? (k, n) : (n, k);
        CheckMatrix("a", a.Item1, a.Item2, lda, aLength, nameof(lda));
        CheckMatrix("b", b.Item1, b.Item2, ldb, bLength, nameof(ldb));
        CheckMatrix("c", m, n, ldc, cLength, nameof(ldc));
        return (a, b);
    }

    /// <summary>Checks a SYRK call and returns the stored shape (rows, cols) of A.</summary>
    public static (int Rows, int Cols) CheckSyrk(Transpose trans, int n, int k, int aLength, int lda, int cLength, int ldc)
    {
        CheckNonNegative(n, n, k);
        var a = trans == Transpose.No ? (n, k) : (k, n);
        CheckMatrix("a", a.Item1, a.Item2, lda, aLength, nameof(lda));
        CheckMatrix("c", n, n, ldc, cLength, nameof(ldc));
        return a;
    }

    /// <summary>Checks a symmetric eigen-problem: A n×n, eigenvalues ≥ n.</summary>
    public static void CheckEigen(int n, int aLength, int eigenvaluesLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (aLength < (long)n * n)
        {
            throw new ArgumentException($"a has {aLength} elements; an {n}×{n} matrix needs {(long)n * n}.", "a");
        }

        if (eigenvaluesLength < n)
        {
            throw new ArgumentException($"eigenvalues has {eigenvaluesLength} elements; {n} are needed.", "eigenvalues");
        }
    }

    /// <summary>Checks a thin QR: m ≥ n ≥ 0 and A holds m·n elements.</summary>
    public static void CheckOrthonormalize(int m, int n, int aLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (m < n)
        {
            throw new ArgumentException($"OrthonormalizeColumns needs m ≥ n, got a {m}×{n} matrix.", nameof(m));
        }

        if (aLength < (long)m * n)
        {
            throw new ArgumentException($"a has {aLength} elements; an {m}×{n} matrix needs {(long)m * n}.", "a");
        }
    }

    /// <summary>Checks a row range [offset, offset + count) of a buffer with <paramref name="rows"/> rows.</summary>
    public static void CheckRowRange(int rowOffset, int count, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowOffset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if ((long)rowOffset + count > rows)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Rows [{rowOffset}, {(long)rowOffset + count}) exceed the workspace's {rows} rows.");
        }
    }
}
