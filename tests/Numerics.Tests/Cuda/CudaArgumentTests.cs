using BlasArguments = OrleansUws.Numerics.Cuda.BlasArguments;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda;
using OrleansUws.Numerics.Cuda.Interop;
using Xunit;

namespace OrleansUws.Numerics.Tests.Cuda;

public sealed class CudaArgumentTests
{
    [Theory]
    [InlineData(0, 5, 7, 0L)]
    [InlineData(3, 0, 7, 0L)]
    [InlineData(1, 5, 5, 5L)]
    [InlineData(3, 5, 7, 19L)]
    public void RequiredLengthIsLastRowEnd(int rows, int cols, int ld, long expected) =>
        Assert.Equal(expected, BlasArguments.RequiredLength(rows, cols, ld));

    [Fact]
    public void GemmReportsStoredShapesForTransposedOperands()
    {
        var (a, b) = BlasArguments.CheckGemm(Transpose.Yes, Transpose.No, 4, 5, 3, 12, 4, 15, 5, 20, 5);

        Assert.Equal((3, 4), a);
        Assert.Equal((3, 5), b);
    }

    [Fact]
    public void GemmRejectsLeadingDimensionBelowColumnsNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => BlasArguments.CheckGemm(Transpose.No, Transpose.No, 2, 2, 3, 6, 2, 6, 2, 4, 2));

        Assert.Equal("lda", error.ParamName);
        Assert.Contains("lda = 2 is less than the 3 columns of a (2×3, row-major)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GemmRejectsShortDestinationNamingShapeAndLengths()
    {
        var error = Assert.Throws<ArgumentException>(() => BlasArguments.CheckGemm(Transpose.No, Transpose.No, 2, 2, 3, 6, 3, 6, 2, 3, 2));

        Assert.Equal("c", error.ParamName);
        Assert.Contains("c has 3 elements; a 2×2 row-major matrix with ldc = 2 needs 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SyrkRejectsShortOperand()
    {
        var error = Assert.Throws<ArgumentException>(() => BlasArguments.CheckSyrk(Transpose.Yes, 3, 4, 11, 3, 9, 3));

        Assert.Equal("a", error.ParamName);
        Assert.Contains("4×3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NegativeDimensionIsRejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => BlasArguments.CheckGemm(Transpose.No, Transpose.No, -1, 2, 2, 4, 2, 4, 2, 4, 2));

    [Fact]
    public void EigenAndQrChecksNameTheBadArgument()
    {
        var eigen = Assert.Throws<ArgumentException>(() => BlasArguments.CheckEigen(3, 9, 2));
        var wide = Assert.Throws<ArgumentException>(() => BlasArguments.CheckOrthonormalize(2, 3, 6));
        var shortA = Assert.Throws<ArgumentException>(() => BlasArguments.CheckOrthonormalize(4, 3, 11));

        Assert.Equal("eigenvalues", eigen.ParamName);
        Assert.Contains("m ≥ n, got a 2×3", wide.Message, StringComparison.Ordinal);
        Assert.Equal("a", shortA.ParamName);
    }

    [Fact]
    public void RowRangeBeyondBufferIsRejectedWithTheRange()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => BlasArguments.CheckRowRange(6, 3, 8));

        Assert.Contains("Rows [6, 9) exceed the workspace's 8 rows", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "CUBLAS_STATUS_SUCCESS")]
    [InlineData(7, "CUBLAS_STATUS_INVALID_VALUE")]
    [InlineData(13, "CUBLAS_STATUS_EXECUTION_FAILED")]
    [InlineData(99, "CUBLAS_STATUS_99")]
    public void CublasStatusNames(int status, string expected) => Assert.Equal(expected, CudaStatusNames.Cublas(status));

    [Theory]
    [InlineData(3, "CUSOLVER_STATUS_INVALID_VALUE")]
    [InlineData(6, "CUSOLVER_STATUS_EXECUTION_FAILED")]
    [InlineData(31, "CUSOLVER_STATUS_INVALID_WORKSPACE")]
    public void CusolverStatusNames(int status, string expected) => Assert.Equal(expected, CudaStatusNames.Cusolver(status));

    [Fact]
    public void CudaExceptionNamesCallAndStatus()
    {
        var error = new CudaException("cublasSgemm_v2", "CUBLAS_STATUS_INVALID_VALUE", 7);

        Assert.Equal("cublasSgemm_v2 returned CUBLAS_STATUS_INVALID_VALUE (7).", error.Message);
        Assert.Equal(7, error.Status);
    }
}
