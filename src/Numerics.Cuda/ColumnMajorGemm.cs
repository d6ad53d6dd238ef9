using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// A column-major GEMM call (cuBLAS argument order): C (M×N) = alpha·op(First)·op(Second) + beta·C, with leading
/// dimensions <see cref="Lda"/> for the first operand and <see cref="Ldb"/> for the second.
/// </summary>
/// <param name="TransA">Operation on the first operand.</param>
/// <param name="TransB">Operation on the second operand.</param>
/// <param name="M">Rows of column-major C.</param>
/// <param name="N">Columns of column-major C.</param>
/// <param name="K">Inner dimension.</param>
/// <param name="Lda">Leading dimension of the first operand.</param>
/// <param name="Ldb">Leading dimension of the second operand.</param>
/// <param name="Ldc">Leading dimension of C.</param>
/// <param name="SwapsOperands">True when the first column-major operand is the row-major B (always, for the row-major mapping).</param>
internal readonly record struct ColumnMajorGemm(
    Transpose TransA, Transpose TransB, int M, int N, int K, int Lda, int Ldb, int Ldc, bool SwapsOperands)
{
    /// <summary>
    /// Maps the row-major call C (m×n) = op(A)·op(B) onto column-major cuBLAS. A row-major matrix with leading
    /// dimension ld is, read column-major, its transpose with the same ld; so row-major C = op(A)·op(B) is
    /// column-major Cᵀ = op(B)ᵀ·op(A)ᵀ, i.e. the cuBLAS call (transB, transA, n, m, k, B, ldb, A, lda, C, ldc):
    /// the operands swap, their transpose flags carry over unchanged.
    /// </summary>
    public static ColumnMajorGemm FromRowMajor(Transpose transA, Transpose transB, int m, int n, int k, int lda, int ldb, int ldc) =>
        new(transB, transA, n, m, k, ldb, lda, ldc, SwapsOperands: true);
}

/// <summary>
/// A column-major SYRK call (cuBLAS argument order) writing the lower triangle: with <see cref="Trans"/> No,
/// C (N×N) = alpha·A·Aᵀ + beta·C for A N×K; with Yes, C = alpha·Aᵀ·A + beta·C for A K×N.
/// </summary>
/// <param name="Trans">Operation, in cuBLAS's sense.</param>
/// <param name="N">Order of C.</param>
/// <param name="K">Rank of the update.</param>
/// <param name="Lda">Leading dimension of A.</param>
/// <param name="Ldc">Leading dimension of C.</param>
internal readonly record struct ColumnMajorSyrk(Transpose Trans, int N, int K, int Lda, int Ldc)
{
    /// <summary>
    /// Maps the row-major SYRK onto column-major cuBLAS. The row-major A read column-major is Aᵀ, so the
    /// transpose flag flips (row-major A·Aᵀ is column-major (Aᵀ)ᵀ·Aᵀ); C is symmetric, so its layout does not
    /// matter, except that cuBLAS's column-major lower triangle is the row-major <b>upper</b> triangle.
    /// </summary>
    public static ColumnMajorSyrk FromRowMajor(Transpose trans, int n, int k, int lda, int ldc) =>
        new(trans == Transpose.No ? Transpose.Yes : Transpose.No, n, k, lda, ldc);
}
