namespace OrleansUws.Numerics.Backends;

/// <summary>Whether an operand of a BLAS call is used as stored or transposed.</summary>
public enum Transpose
{
    /// <summary>Use the operand as stored.</summary>
    No = 0,

    /// <summary>Use the transpose of the operand.</summary>
    Yes = 1,
}

/// <summary>
/// The dense linear-algebra primitives the numerics library is built on. Every matrix is <b>row-major</b>
/// (element (i, j) of a matrix with leading dimension <c>ld</c> is at <c>i * ld + j</c>), whatever the
/// backend's native layout. Implementations: managed reference, OpenBLAS (P/Invoke), CUDA (cuBLAS/cuSOLVER).
/// Implementations validate lengths (and that outputs do not alias inputs) before touching memory and throw
/// <see cref="ArgumentException"/> naming the bad argument (shared checks: <see cref="BlasArguments"/>).
/// NaN and infinities propagate through GEMM/SYRK as IEEE arithmetic does (beta = 0 ignores what C held);
/// the eigen-solvers reject non-finite input.
/// </summary>
public interface IBlasBackend
{
    /// <summary>Stable short name used in logs, options and the <c>UWS_BLAS</c> variable (e.g. "managed", "openblas", "cuda").</summary>
    string Name { get; }

    /// <summary>C (m×n) = alpha·op(A)·op(B) + beta·C, where op(A) is m×k and op(B) is k×n.</summary>
    void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc);

    /// <summary>C (m×n) = alpha·op(A)·op(B) + beta·C in double precision.</summary>
    void Gemm(Transpose transA, Transpose transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc);

    /// <summary>
    /// Symmetric rank-k update, both triangles of C written: with <see cref="Transpose.No"/> A is n×k and
    /// C (n×n) = alpha·A·Aᵀ + beta·C; with <see cref="Transpose.Yes"/> A is k×n and C = alpha·Aᵀ·A + beta·C.
    /// </summary>
    void Syrk(Transpose trans, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, float beta, Span<float> c, int ldc);

    /// <summary>Symmetric rank-k update in double precision; see the float overload.</summary>
    void Syrk(Transpose trans, int n, int k, double alpha, ReadOnlySpan<double> a, int lda, double beta, Span<double> c, int ldc);

    /// <summary>
    /// Eigen-decomposition of the symmetric n×n matrix A (row-major, both triangles valid). On return
    /// <paramref name="eigenvalues"/> holds the eigenvalues in ascending order and A holds the eigenvectors
    /// as columns: A[i * n + j] is component i of the eigenvector of eigenvalues[j].
    /// </summary>
    void SymmetricEigen(int n, Span<double> a, Span<double> eigenvalues);

    /// <summary>Eigen-decomposition in single precision; see the double overload.</summary>
    void SymmetricEigen(int n, Span<float> a, Span<float> eigenvalues);

    /// <summary>
    /// The <paramref name="valueCount"/> largest eigenvalues of the symmetric n×n matrix A (row-major, both triangles
    /// valid; overwritten), <b>descending</b>, and unit eigenvectors of the first <paramref name="vectorCount"/> of them
    /// as <b>rows</b> of <paramref name="vectors"/> (vectorCount×n, row i for eigenvalues[i]), each signed so that its
    /// projection on a fixed pseudo-random vector is positive (same input up to rounding, same signs) — what a Frequent Directions
    /// shrink needs (ℓ + 1 values and ℓ vectors of a 2ℓ×2ℓ Gram). The default runs the full
    /// <see cref="SymmetricEigen(int, Span{float}, Span{float})"/> and copies the top; a backend with a partial solver
    /// overrides it.
    /// </summary>
    void SymmetricEigenTop(int n, Span<float> a, int valueCount, int vectorCount, Span<float> eigenvalues, Span<float> vectors)
    {
        BlasArguments.CheckEigenTop(n, a.Length, valueCount, vectorCount, eigenvalues.Length, vectors.Length);
        using var all = new Internal.PooledArray<float>(n);
        SymmetricEigen(n, a, all.Span);
        for (int i = 0; i < valueCount; i++)
        {
            eigenvalues[i] = all.Span[n - 1 - i];
        }

        for (int i = 0; i < vectorCount; i++)
        {
            for (int j = 0; j < n; j++)
            {
                vectors[(i * n) + j] = a[(j * n) + n - 1 - i];
            }
        }

        Internal.EigenvectorSigns.Orient(vectors, vectorCount, n);
    }

    /// <summary>
    /// Replaces A (m×n row-major, m ≥ n) by the Q factor of its thin QR decomposition: n orthonormal columns
    /// spanning the columns of A.
    /// </summary>
    void OrthonormalizeColumns(int m, int n, Span<float> a);

    /// <summary>Thin QR in double precision; see the float overload.</summary>
    void OrthonormalizeColumns(int m, int n, Span<double> a);

    /// <summary>
    /// Creates the working buffer of one Frequent Directions sketch (rows × cols, float32), kept where this
    /// backend computes: host memory for CPU backends, device memory for the CUDA backend.
    /// </summary>
    ISketchWorkspace CreateSketchWorkspace(int rows, int cols);
}
