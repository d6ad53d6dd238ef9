using OrleansUws.Numerics.Cuda;
using OrleansUws.Numerics.Cuda.Interop;
using Xunit;

namespace OrleansUws.Numerics.Tests.Cuda;

/// <summary>
/// The CUDA-specific checks and names; the GEMM/SYRK/eigen/QR argument checks are the shared
/// <c>Backends.BlasArguments</c>, tested once for all backends by the numerics suite.
/// </summary>
public sealed class CudaArgumentTests
{
    [Theory]
    [InlineData(6, 3, 8)]
    [InlineData(-1, 1, 8)]
    [InlineData(0, -1, 8)]
    public void RowRangeOutsideTheWorkspaceIsRejectedWithTheRange(int offset, int count, int rows)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => WorkspaceArguments.CheckRowRange(offset, count, rows));

        Assert.Contains($"Rows [{offset}, {offset + count}) fall outside the workspace's {rows} rows.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RowRangeEndingAtTheLastRowIsAccepted() => WorkspaceArguments.CheckRowRange(5, 3, 8);

    [Fact]
    public void ShortBufferIsRejectedNamingItAndTheShape()
    {
        var error = Assert.Throws<ArgumentException>(() => WorkspaceArguments.CheckAtLeast("gram", 15, 16, "a 4×4 Gram"));

        Assert.Equal("gram", error.ParamName);
        Assert.StartsWith("'gram' has 15 elements; a 4×4 Gram needs at least 16.", error.Message, StringComparison.Ordinal);
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
        var detailed = new CudaException("cudaMalloc", "cudaErrorMemoryAllocation", 2, "1024 bytes of device memory requested.");

        Assert.Equal("cublasSgemm_v2 returned CUBLAS_STATUS_INVALID_VALUE (7).", error.Message);
        Assert.Equal(7, error.Status);
        Assert.Equal("cudaMalloc returned cudaErrorMemoryAllocation (2): 1024 bytes of device memory requested.", detailed.Message);
    }
}
