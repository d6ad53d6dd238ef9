namespace OrleansUws.Numerics.Cuda.Interop;

/// <summary>
/// Enumerator names of the status codes of cuBLAS (<c>cublasStatus_t</c>) and cuSOLVER (<c>cusolverStatus_t</c>),
/// as declared in <c>cublas_api.h</c> and <c>cusolver_common.h</c> of CUDA 12 and 13. The runtime's
/// <c>cudaError_t</c> names come from <c>cudaGetErrorName</c> of the loaded library instead.
/// </summary>
internal static class CudaStatusNames
{
    /// <summary>The name of a <c>cublasStatus_t</c> value, or <c>CUBLAS_STATUS_&lt;n&gt;</c> for a value this build does not know.</summary>
    public static string Cublas(int status) => status switch
    {
        0 => "CUBLAS_STATUS_SUCCESS",
        1 => "CUBLAS_STATUS_NOT_INITIALIZED",
        3 => "CUBLAS_STATUS_ALLOC_FAILED",
        7 => "CUBLAS_STATUS_INVALID_VALUE",
        8 => "CUBLAS_STATUS_ARCH_MISMATCH",
        11 => "CUBLAS_STATUS_MAPPING_ERROR",
        13 => "CUBLAS_STATUS_EXECUTION_FAILED",
        14 => "CUBLAS_STATUS_INTERNAL_ERROR",
        15 => "CUBLAS_STATUS_NOT_SUPPORTED",
        16 => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"CUBLAS_STATUS_{status}",
    };

    /// <summary>The name of a <c>cusolverStatus_t</c> value, or <c>CUSOLVER_STATUS_&lt;n&gt;</c> for a value this build does not know.</summary>
    public static string Cusolver(int status) => status switch
    {
        0 => "CUSOLVER_STATUS_SUCCESS",
        1 => "CUSOLVER_STATUS_NOT_INITIALIZED",
        2 => "CUSOLVER_STATUS_ALLOC_FAILED",
        3 => "CUSOLVER_STATUS_INVALID_VALUE",
        4 => "CUSOLVER_STATUS_ARCH_MISMATCH",
        5 => "CUSOLVER_STATUS_MAPPING_ERROR",
        6 => "CUSOLVER_STATUS_EXECUTION_FAILED",
        7 => "CUSOLVER_STATUS_INTERNAL_ERROR",
        8 => "CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED",
        9 => "CUSOLVER_STATUS_NOT_SUPPORTED",
        10 => "CUSOLVER_STATUS_ZERO_PIVOT",
        11 => "CUSOLVER_STATUS_INVALID_LICENSE",
        12 => "CUSOLVER_STATUS_IRS_PARAMS_NOT_INITIALIZED",
        13 => "CUSOLVER_STATUS_IRS_PARAMS_INVALID",
        14 => "CUSOLVER_STATUS_IRS_PARAMS_INVALID_PREC",
        15 => "CUSOLVER_STATUS_IRS_PARAMS_INVALID_REFINE",
        16 => "CUSOLVER_STATUS_IRS_PARAMS_INVALID_MAXITER",
        20 => "CUSOLVER_STATUS_IRS_INTERNAL_ERROR",
        21 => "CUSOLVER_STATUS_IRS_NOT_SUPPORTED",
        22 => "CUSOLVER_STATUS_IRS_OUT_OF_RANGE",
        23 => "CUSOLVER_STATUS_IRS_NRHS_NOT_SUPPORTED_FOR_REFINE_GMRES",
        25 => "CUSOLVER_STATUS_IRS_INFOS_NOT_INITIALIZED",
        26 => "CUSOLVER_STATUS_IRS_INFOS_NOT_DESTROYED",
        30 => "CUSOLVER_STATUS_IRS_MATRIX_SINGULAR",
        31 => "CUSOLVER_STATUS_INVALID_WORKSPACE",
        _ => $"CUSOLVER_STATUS_{status}",
    };
}
