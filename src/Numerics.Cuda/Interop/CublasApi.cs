namespace OrleansUws.Numerics.Cuda.Interop;

/// <summary>
/// The cuBLAS (<c>libcublas</c>, v2 API) functions this backend uses, bound by function pointer. Matrices are
/// column-major as cuBLAS expects; scalars are passed by host pointer (the default pointer mode). Every wrapper
/// checks the <c>cublasStatus_t</c> and throws <see cref="CudaException"/> naming the call and the status.
/// </summary>
internal sealed unsafe class CublasApi
{
    /// <summary><c>CUBLAS_FILL_MODE_LOWER</c>.</summary>
    public const int FillLower = 0;

    /// <summary><c>CUBLAS_DEFAULT_MATH</c>: full float32 arithmetic.</summary>
    public const int DefaultMath = 0;

    /// <summary><c>CUBLAS_TF32_TENSOR_OP_MATH</c>: float32 GEMMs may round inputs to TF32 on tensor cores.</summary>
    public const int Tf32TensorOpMath = 3;

    private readonly delegate* unmanaged<nint*, int> _create;
    private readonly delegate* unmanaged<nint, int> _destroy;
    private readonly delegate* unmanaged<nint, nint, int> _setStream;
    private readonly delegate* unmanaged<nint, int, int> _setMathMode;
    private readonly delegate* unmanaged<nint, int, int, int, int, int, float*, nint, int, nint, int, float*, nint, int, int> _sgemm;
    private readonly delegate* unmanaged<nint, int, int, int, int, int, double*, nint, int, nint, int, double*, nint, int, int> _dgemm;
    private readonly delegate* unmanaged<nint, int, int, int, int, float*, nint, int, float*, nint, int, int> _ssyrk;
    private readonly delegate* unmanaged<nint, int, int, int, int, double*, nint, int, double*, nint, int, int> _dsyrk;

    /// <summary>Binds every export; throws <see cref="EntryPointNotFoundException"/> naming the first one missing.</summary>
    public CublasApi(NativeLibraryHandle library)
    {
        Library = library;
        _create = (delegate* unmanaged<nint*, int>)library.GetExport("cublasCreate_v2");
        _destroy = (delegate* unmanaged<nint, int>)library.GetExport("cublasDestroy_v2");
        _setStream = (delegate* unmanaged<nint, nint, int>)library.GetExport("cublasSetStream_v2");
        _setMathMode = (delegate* unmanaged<nint, int, int>)library.GetExport("cublasSetMathMode");
        _sgemm = (delegate* unmanaged<nint, int, int, int, int, int, float*, nint, int, nint, int, float*, nint, int, int>)library.GetExport("cublasSgemm_v2");
        _dgemm = (delegate* unmanaged<nint, int, int, int, int, int, double*, nint, int, nint, int, double*, nint, int, int>)library.GetExport("cublasDgemm_v2");
        _ssyrk = (delegate* unmanaged<nint, int, int, int, int, float*, nint, int, float*, nint, int, int>)library.GetExport("cublasSsyrk_v2");
        _dsyrk = (delegate* unmanaged<nint, int, int, int, int, double*, nint, int, double*, nint, int, int>)library.GetExport("cublasDsyrk_v2");
    }

    /// <summary>The loaded library.</summary>
    public NativeLibraryHandle Library { get; }

    /// <summary>Throws <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="status"/> is <c>CUBLAS_STATUS_SUCCESS</c>.</summary>
    public static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new CudaException(call, CudaStatusNames.Cublas(status), status);
        }
    }

    /// <summary><c>cublasCreate_v2</c>.</summary>
    public nint Create()
    {
        nint handle;
        Check(_create(&handle), "cublasCreate_v2");
        return handle;
    }

    /// <summary><c>cublasDestroy_v2</c>.</summary>
    public void Destroy(nint handle) => Check(_destroy(handle), "cublasDestroy_v2");

    /// <summary><c>cublasSetStream_v2</c>.</summary>
    public void SetStream(nint handle, nint stream) => Check(_setStream(handle, stream), "cublasSetStream_v2");

    /// <summary><c>cublasSetMathMode</c>.</summary>
    public void SetMathMode(nint handle, int mode) => Check(_setMathMode(handle, mode), "cublasSetMathMode");

    /// <summary><c>cublasSgemm_v2</c> with a column-major call as mapped by <see cref="ColumnMajorGemm"/>.</summary>
    public void Sgemm(nint handle, in ColumnMajorGemm call, float alpha, nint a, nint b, float beta, nint c) =>
        Check(_sgemm(handle, (int)call.TransA, (int)call.TransB, call.M, call.N, call.K, &alpha, a, call.Lda, b, call.Ldb, &beta, c, call.Ldc),
            "cublasSgemm_v2");

    /// <summary><c>cublasDgemm_v2</c> with a column-major call as mapped by <see cref="ColumnMajorGemm"/>.</summary>
    public void Dgemm(nint handle, in ColumnMajorGemm call, double alpha, nint a, nint b, double beta, nint c) =>
        Check(_dgemm(handle, (int)call.TransA, (int)call.TransB, call.M, call.N, call.K, &alpha, a, call.Lda, b, call.Ldb, &beta, c, call.Ldc),
            "cublasDgemm_v2");

    /// <summary><c>cublasSsyrk_v2</c> writing the lower triangle (column-major) of C.</summary>
    public void Ssyrk(nint handle, in ColumnMajorSyrk call, float alpha, nint a, float beta, nint c) =>
        Check(_ssyrk(handle, FillLower, (int)call.Trans, call.N, call.K, &alpha, a, call.Lda, &beta, c, call.Ldc), "cublasSsyrk_v2");

    /// <summary><c>cublasDsyrk_v2</c> writing the lower triangle (column-major) of C.</summary>
    public void Dsyrk(nint handle, in ColumnMajorSyrk call, double alpha, nint a, double beta, nint c) =>
        Check(_dsyrk(handle, FillLower, (int)call.Trans, call.N, call.K, &alpha, a, call.Lda, &beta, c, call.Ldc), "cublasDsyrk_v2");
}
