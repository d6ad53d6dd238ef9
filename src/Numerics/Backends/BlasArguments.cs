using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Backends;

/// <summary>
/// The argument checks every <see cref="IBlasBackend"/> runs before touching memory, so that all backends
/// reject the same calls with the same messages (the backend-agnostic test suite relies on it).
/// </summary>
public static class BlasArguments
{
    /// <summary>Validates a <see cref="IBlasBackend.Gemm(Transpose, Transpose, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/> call.</summary>
    public static void CheckGemm(Transpose transA, Transpose transB, int m, int n, int k, int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        Guard.Matrix("a", aLength, transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, lda);
        Guard.Matrix("b", bLength, transB == Transpose.No ? k : n, transB == Transpose.No ? n : k, ldb);
        Guard.Matrix("c", cLength, m, n, ldc);
    }

    /// <summary>Throws when <paramref name="destination"/> shares memory with the input <paramref name="input"/> (results would be undefined).</summary>
    public static void CheckNoOverlap<T>(ReadOnlySpan<T> input, string inputName, ReadOnlySpan<T> destination, string destinationName)
    {
        if (!input.IsEmpty && !destination.IsEmpty && input.Overlaps(destination))
        {
            throw new ArgumentException($"Destination '{destinationName}' overlaps input '{inputName}'; BLAS outputs must not alias their inputs.", destinationName);
        }
    }

    /// <summary>Validates a Syrk call (A is n×k when not transposed, k×n when transposed; C is n×n).</summary>
    public static void CheckSyrk(Transpose trans, int n, int k, int aLength, int lda, int cLength, int ldc)
    {
        Guard.Matrix("a", aLength, trans == Transpose.No ? n : k, trans == Transpose.No ? k : n, lda);
        Guard.Matrix("c", cLength, n, n, ldc);
    }

    /// <summary>Validates a SymmetricEigen call.</summary>
    public static void CheckEigen(int n, int aLength, int eigenvaluesLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        Guard.AtLeast("a", aLength, (long)n * n, $"a {n}×{n} symmetric matrix");
        Guard.AtLeast("eigenvalues", eigenvaluesLength, n, $"{n} eigenvalues");
    }

    /// <summary>Validates a SymmetricEigenTop call.</summary>
    public static void CheckEigenTop(int n, int aLength, int valueCount, int vectorCount, int eigenvaluesLength, int vectorsLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        Guard.AtLeast("a", aLength, (long)n * n, $"a {n}×{n} symmetric matrix");
        if (valueCount < 0 || valueCount > n)
        {
            throw new ArgumentOutOfRangeException(nameof(valueCount), valueCount, $"valueCount must be between 0 and the order {n}.");
        }

        if (vectorCount < 0 || vectorCount > valueCount)
        {
            throw new ArgumentOutOfRangeException(nameof(vectorCount), vectorCount, $"vectorCount must be between 0 and valueCount = {valueCount}.");
        }

        Guard.AtLeast("eigenvalues", eigenvaluesLength, valueCount, $"{valueCount} eigenvalues");
        Guard.AtLeast("vectors", vectorsLength, (long)vectorCount * n, $"{vectorCount} eigenvectors of length {n}");
    }

    /// <summary>Validates an OrthonormalizeColumns call (m ≥ n).</summary>
    public static void CheckQr(int m, int n, int aLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (m < n)
        {
            throw new ArgumentException($"Thin QR needs at least as many rows as columns; got m = {m} rows < n = {n} columns.", nameof(m));
        }

        Guard.AtLeast("a", aLength, (long)m * n, $"a {m}×{n} matrix");
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first non-finite entry of a symmetric input.</summary>
    public static void CheckFinite<T>(ReadOnlySpan<T> a, int n)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        // float (every shrink's Gram): the SIMD scan; the loop below then only runs to name the entry.
        if (typeof(T) == typeof(float) && Guard.FirstNonFinite(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(a[..(n * n)])) < 0)
        {
            return;
        }

        for (int i = 0; i < n * n; i++)
        {
            if (!T.IsFinite(a[i]))
            {
                throw new ArgumentException($"Symmetric matrix entry ({i / n}, {i % n}) is {a[i]}; the eigen-solver needs finite values.", nameof(a));
            }
        }
    }
}
