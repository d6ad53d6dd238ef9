namespace OrleansUws.Numerics.Cuda.Interop;

/// <summary>
/// The dense cuSOLVER (<c>libcusolver</c>) functions this backend uses, bound by function pointer: <c>syevd</c>
/// (symmetric eigen-decomposition) and <c>geqrf</c>/<c>orgqr</c> (thin QR), in float and double. Matrices are
/// column-major. Every wrapper checks the <c>cusolverStatus_t</c> and throws <see cref="CudaException"/> naming the
/// call and the status; the <c>devInfo</c> output is checked by the caller after synchronising.
/// </summary>
internal sealed unsafe class CusolverApi
{
    /// <summary><c>CUSOLVER_EIG_MODE_VECTOR</c>.</summary>
    public const int EigenModeVector = 1;

    /// <summary><c>CUBLAS_FILL_MODE_LOWER</c>.</summary>
    public const int FillLower = 0;

    private readonly delegate* unmanaged<nint*, int> _create;
    private readonly delegate* unmanaged<nint, int> _destroy;
    private readonly delegate* unmanaged<nint, nint, int> _setStream;
    private readonly delegate* unmanaged<nint, int, int, int, nint, int, nint, int*, int> _ssyevdBufferSize;
    private readonly delegate* unmanaged<nint, int, int, int, nint, int, nint, nint, int, nint, int> _ssyevd;
    private readonly delegate* unmanaged<nint, int, int, int, nint, int, nint, int*, int> _dsyevdBufferSize;
    private readonly delegate* unmanaged<nint, int, int, int, nint, int, nint, nint, int, nint, int> _dsyevd;
    private readonly delegate* unmanaged<nint, int, int, nint, int, int*, int> _sgeqrfBufferSize;
    private readonly delegate* unmanaged<nint, int, int, nint, int, nint, nint, int, nint, int> _sgeqrf;
    private readonly delegate* unmanaged<nint, int, int, nint, int, int*, int> _dgeqrfBufferSize;
    private readonly delegate* unmanaged<nint, int, int, nint, int, nint, nint, int, nint, int> _dgeqrf;
    private readonly delegate* unmanaged<nint, int, int, int, nint, int, nint, int*, int> _sorgqrBufferSize;
    private readonly delegate* unmanaged<nint, int, int, int, nint, int, nint, nint, int, nint, int> _sorgqr;
    private readonly delegate* unmanaged<nint, int, int, int, nint, int, nint, int*, int> _dorgqrBufferSize;
    private readonly delegate* unmanaged<nint, int, int, int, nint, int, nint, nint, int, nint, int> _dorgqr;

    /// <summary>Binds every export; throws <see cref="EntryPointNotFoundException"/> naming the first one missing.</summary>
    public CusolverApi(NativeLibraryHandle library)
    {
        Library = library;
        _create = (delegate* unmanaged<nint*, int>)library.GetExport("cusolverDnCreate");
        _destroy = (delegate* unmanaged<nint, int>)library.GetExport("cusolverDnDestroy");
        _setStream = (delegate* unmanaged<nint, nint, int>)library.GetExport("cusolverDnSetStream");
        _ssyevdBufferSize = (delegate* unmanaged<nint, int, int, int, nint, int, nint, int*, int>)library.GetExport("cusolverDnSsyevd_bufferSize");
        _ssyevd = (delegate* unmanaged<nint, int, int, int, nint, int, nint, nint, int, nint, int>)library.GetExport("cusolverDnSsyevd");
        _dsyevdBufferSize = (delegate* unmanaged<nint, int, int, int, nint, int, nint, int*, int>)library.GetExport("cusolverDnDsyevd_bufferSize");
        _dsyevd = (delegate* unmanaged<nint, int, int, int, nint, int, nint, nint, int, nint, int>)library.GetExport("cusolverDnDsyevd");
        _sgeqrfBufferSize = (delegate* unmanaged<nint, int, int, nint, int, int*, int>)library.GetExport("cusolverDnSgeqrf_bufferSize");
        _sgeqrf = (delegate* unmanaged<nint, int, int, nint, int, nint, nint, int, nint, int>)library.GetExport("cusolverDnSgeqrf");
        _dgeqrfBufferSize = (delegate* unmanaged<nint, int, int, nint, int, int*, int>)library.GetExport("cusolverDnDgeqrf_bufferSize");
        _dgeqrf = (delegate* unmanaged<nint, int, int, nint, int, nint, nint, int, nint, int>)library.GetExport("cusolverDnDgeqrf");
        _sorgqrBufferSize = (delegate* unmanaged<nint, int, int, int, nint, int, nint, int*, int>)library.GetExport("cusolverDnSorgqr_bufferSize");
        _sorgqr = (delegate* unmanaged<nint, int, int, int, nint, int, nint, nint, int, nint, int>)library.GetExport("cusolverDnSorgqr");
        _dorgqrBufferSize = (delegate* unmanaged<nint, int, int, int, nint, int, nint, int*, int>)library.GetExport("cusolverDnDorgqr_bufferSize");
        _dorgqr = (delegate* unmanaged<nint, int, int, int, nint, int, nint, nint, int, nint, int>)library.GetExport("cusolverDnDorgqr");
    }

    /// <summary>The loaded library.</summary>
    public NativeLibraryHandle Library { get; }

    /// <summary>Throws <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="status"/> is <c>CUSOLVER_STATUS_SUCCESS</c>.</summary>
    public static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new CudaException(call, CudaStatusNames.Cusolver(status), status);
        }
    }

    /// <summary><c>cusolverDnCreate</c>.</summary>
    public nint Create()
    {
        nint handle;
        Check(_create(&handle), "cusolverDnCreate");
        return handle;
    }

    /// <summary><c>cusolverDnDestroy</c>.</summary>
    public void Destroy(nint handle) => Check(_destroy(handle), "cusolverDnDestroy");

    /// <summary><c>cusolverDnSetStream</c>.</summary>
    public void SetStream(nint handle, nint stream) => Check(_setStream(handle, stream), "cusolverDnSetStream");

    /// <summary>Work size (elements) of <c>cusolverDn[S|D]syevd</c> with vectors, lower triangle.</summary>
    public int SyevdBufferSize(nint handle, bool isDouble, int n, nint a, nint w)
    {
        int lwork;
        if (isDouble)
        {
            Check(_dsyevdBufferSize(handle, EigenModeVector, FillLower, n, a, n, w, &lwork), "cusolverDnDsyevd_bufferSize");
        }
        else
        {
            Check(_ssyevdBufferSize(handle, EigenModeVector, FillLower, n, a, n, w, &lwork), "cusolverDnSsyevd_bufferSize");
        }

        return lwork;
    }

    /// <summary><c>cusolverDn[S|D]syevd</c>: eigenvalues ascending into <paramref name="w"/>, eigenvectors into the columns of <paramref name="a"/>.</summary>
    public void Syevd(nint handle, bool isDouble, int n, nint a, nint w, nint work, int lwork, nint info)
    {
        if (isDouble)
        {
            Check(_dsyevd(handle, EigenModeVector, FillLower, n, a, n, w, work, lwork, info), "cusolverDnDsyevd");
        }
        else
        {
            Check(_ssyevd(handle, EigenModeVector, FillLower, n, a, n, w, work, lwork, info), "cusolverDnSsyevd");
        }
    }

    /// <summary>Work size (elements) of <c>geqrf</c> and <c>orgqr</c> together (the larger of the two).</summary>
    public int QrBufferSize(nint handle, bool isDouble, int m, int n, nint a, nint tau)
    {
        int geqrf, orgqr;
        if (isDouble)
        {
            Check(_dgeqrfBufferSize(handle, m, n, a, m, &geqrf), "cusolverDnDgeqrf_bufferSize");
            Check(_dorgqrBufferSize(handle, m, n, n, a, m, tau, &orgqr), "cusolverDnDorgqr_bufferSize");
        }
        else
        {
            Check(_sgeqrfBufferSize(handle, m, n, a, m, &geqrf), "cusolverDnSgeqrf_bufferSize");
            Check(_sorgqrBufferSize(handle, m, n, n, a, m, tau, &orgqr), "cusolverDnSorgqr_bufferSize");
        }

        return Math.Max(geqrf, orgqr);
    }

    /// <summary>
    /// <c>cusolverDn[S|D]geqrf</c> then <c>[S|D]orgqr</c>: A (m×n, column-major, lda = m) becomes its thin Q factor.
    /// Their <c>devInfo</c> outputs go to <paramref name="geqrfInfo"/> and <paramref name="orgqrInfo"/>.
    /// </summary>
    public void ThinQ(nint handle, bool isDouble, int m, int n, nint a, nint tau, nint work, int lwork, nint geqrfInfo, nint orgqrInfo)
    {
        if (isDouble)
        {
            Check(_dgeqrf(handle, m, n, a, m, tau, work, lwork, geqrfInfo), "cusolverDnDgeqrf");
            Check(_dorgqr(handle, m, n, n, a, m, tau, work, lwork, orgqrInfo), "cusolverDnDorgqr");
        }
        else
        {
            Check(_sgeqrf(handle, m, n, a, m, tau, work, lwork, geqrfInfo), "cusolverDnSgeqrf");
            Check(_sorgqr(handle, m, n, n, a, m, tau, work, lwork, orgqrInfo), "cusolverDnSorgqr");
        }
    }
}
