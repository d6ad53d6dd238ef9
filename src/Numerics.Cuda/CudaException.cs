namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// A CUDA runtime, driver, cuBLAS or cuSOLVER call returned a failure status. The message names the call and the
/// status by its enumerator name (e.g. <c>cublasSgemm_v2 returned CUBLAS_STATUS_INVALID_VALUE (7)</c>).
/// </summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception for <paramref name="call"/> having returned <paramref name="statusName"/>.</summary>
    public CudaException(string call, string statusName, int status, string? detail = null)
        : base(FormatMessage(call, statusName, status, detail))
    {
        Call = call;
        StatusName = statusName;
        Status = status;
    }

    /// <summary>The native function that failed, e.g. <c>cusolverDnSsyevd</c>.</summary>
    public string Call { get; }

    /// <summary>The enumerator name of the returned status, e.g. <c>CUSOLVER_STATUS_EXECUTION_FAILED</c>.</summary>
    public string StatusName { get; }

    /// <summary>The numeric status the call returned.</summary>
    public int Status { get; }

    private static string FormatMessage(string call, string statusName, int status, string? detail) =>
        detail is null
            ? $"{call} returned {statusName} ({status})."
            : $"{call} returned {statusName} ({status}): {detail}";
}
