using System.Numerics;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda.Interop;
using OrleansUws.Numerics.Internal;

namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// <see cref="IBlasBackend"/> on one NVIDIA GPU through cuBLAS and cuSOLVER. The row-major contract maps onto
/// column-major cuBLAS by the transpose identities of <see cref="ColumnMajorGemm"/> and <see cref="ColumnMajorSyrk"/>;
/// host spans are copied to reusable device scratch buffers, computed on one non-blocking stream and copied back
/// before each call returns. Calls are serialised by a lock (one cuBLAS/cuSOLVER handle pair per backend) and may
/// come from any thread: each makes the backend's device current first. Sketch workspaces
/// (<see cref="CreateSketchWorkspace"/>) stay in device memory between updates. Create instances through
/// <see cref="CudaBackendProvider"/>; dispose workspaces before the backend.
/// </summary>
public sealed class CudaBlasBackend : IBlasBackend, IDisposable
{
    private readonly Lock _gate = new();
    private readonly CudaRuntimeApi _runtime;
    private readonly CublasApi _blas;
    private readonly CusolverApi _solver;
    private readonly nint _stream;
    private readonly nint _blasHandle;
    private readonly nint _solverHandle;
    private readonly DeviceBuffer _a;
    private readonly DeviceBuffer _b;
    private readonly DeviceBuffer _c;
    private readonly DeviceBuffer _work;
    private readonly DeviceBuffer _info;
    private readonly ManagedBlasBackend _host = new();
    private bool _disposed;

    internal CudaBlasBackend(CudaNativeLibraries native, CudaBackendOptions options)
    {
        Native = native;
        Options = options;
        _runtime = native.Runtime;
        _blas = native.Blas;
        _solver = native.Solver;
        DeviceOrdinal = options.DeviceOrdinal;
        try
        {
            _runtime.SetDevice(DeviceOrdinal);
            _stream = _runtime.CreateStream(CudaRuntimeApi.StreamNonBlocking);
            _blasHandle = _blas.Create();
            _blas.SetStream(_blasHandle, _stream);
            _blas.SetMathMode(_blasHandle, options.AllowTensorFloat32 ? CublasApi.Tf32TensorOpMath : CublasApi.DefaultMath);
            _solverHandle = _solver.Create();
            _solver.SetStream(_solverHandle, _stream);
            _a = new DeviceBuffer(_runtime, 1 << 20);
            _b = new DeviceBuffer(_runtime, 1 << 20);
            _c = new DeviceBuffer(_runtime, 1 << 20);
            _work = new DeviceBuffer(_runtime, 1 << 20);
            _info = new DeviceBuffer(_runtime, 256);
            native.Driver.Init();
            DeviceName = native.Driver.DeviceName(DeviceOrdinal);
            Kernels = WideningKernels.TryLoad(native, out var kernelReason);
            KernelsUnavailableReason = kernelReason;
            VerifyKernels();
        }
        catch (CudaException)
        {
            Release();
            throw;
        }
    }

    /// <inheritdoc />
    public string Name => "cuda";

    /// <summary>Ordinal of the GPU this backend computes on.</summary>
    public int DeviceOrdinal { get; }

    /// <summary>The GPU's name as the driver reports it (e.g. "NVIDIA H200").</summary>
    public string DeviceName { get; } = string.Empty;

    /// <summary>Whether float32 GEMMs may use TF32 tensor cores (<see cref="CudaBackendOptions.AllowTensorFloat32"/>).</summary>
    public bool UsesTensorFloat32 => Options.AllowTensorFloat32;

    /// <summary>Why the on-device bf16/f16 widening kernels are not loaded (empty when they are); workspaces then widen on the host.</summary>
    public string KernelsUnavailableReason { get; private set; } = string.Empty;

    internal CudaNativeLibraries Native { get; }

    internal CudaBackendOptions Options { get; }

    internal WideningKernels? Kernels { get; private set; }

    /// <inheritdoc />
    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc) =>
        GemmCore(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <inheritdoc />
    public void Gemm(Transpose transA, Transpose transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc) =>
        GemmCore(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <inheritdoc />
    public void Syrk(Transpose trans, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, float beta, Span<float> c, int ldc) =>
        SyrkCore(trans, n, k, alpha, a, lda, beta, c, ldc);

    /// <inheritdoc />
    public void Syrk(Transpose trans, int n, int k, double alpha, ReadOnlySpan<double> a, int lda, double beta, Span<double> c, int ldc) =>
        SyrkCore(trans, n, k, alpha, a, lda, beta, c, ldc);

    /// <inheritdoc />
    public void SymmetricEigen(int n, Span<double> a, Span<double> eigenvalues)
    {
        if (n > 0 && n <= Options.HostEigenMaxOrder)
        {
            _host.SymmetricEigen(n, a, eigenvalues);
            return;
        }

        EigenCore(n, a, eigenvalues);
    }

    /// <inheritdoc />
    public void SymmetricEigen(int n, Span<float> a, Span<float> eigenvalues)
    {
        if (n > 0 && n <= Options.HostEigenMaxOrder)
        {
            _host.SymmetricEigen(n, a, eigenvalues);
            return;
        }

        EigenCore(n, a, eigenvalues);
    }

    /// <inheritdoc />
    public void OrthonormalizeColumns(int m, int n, Span<float> a) => OrthonormalizeCore(m, n, a);

    /// <inheritdoc />
    public void OrthonormalizeColumns(int m, int n, Span<double> a) => OrthonormalizeCore(m, n, a);

    /// <inheritdoc />
    public ISketchWorkspace CreateSketchWorkspace(int rows, int cols) => new CudaSketchWorkspace(this, rows, cols);

    /// <summary>Waits for queued work, then frees the handles, the stream and the scratch buffers once.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _runtime.SetDevice(DeviceOrdinal);
            _runtime.Synchronize(_stream);
            Release();
        }
    }

    /// <summary>Frees whatever the constructor got to create (also after a failure part-way).</summary>
    private void Release()
    {
        _disposed = true;
        Kernels?.Dispose();
        Kernels = null;
        if (_solverHandle != 0)
        {
            _solver.Destroy(_solverHandle);
        }

        if (_blasHandle != 0)
        {
            _blas.Destroy(_blasHandle);
        }

        foreach (var buffer in (DeviceBuffer?[])[_a, _b, _c, _work, _info])
        {
            buffer?.Dispose();
        }

        if (_stream != 0)
        {
            _runtime.DestroyStream(_stream);
        }
    }

    /// <summary>
    /// Runs both widening kernels once on values with known float32 images (±1, −2, the largest finite value, +∞,
    /// a subnormal, NaN) and compares bit for bit (any NaN for NaN) with <see cref="HalfWidening"/>; on any difference or driver error the
    /// kernels are unloaded and workspaces widen on the host, with the reason kept in <see cref="KernelsUnavailableReason"/>.
    /// </summary>
    private unsafe void VerifyKernels()
    {
        if (Kernels is null)
        {
            return;
        }

        ReadOnlySpan<ushort> bfloat16 = [0x3F80, 0xBF80, 0xC000, 0x7F7F, 0x7F80, 0x0001, 0x7FC0, 0x0000];
        ReadOnlySpan<ushort> half = [0x3C00, 0xBC00, 0xC000, 0x7BFF, 0x7C00, 0x0001, 0x7E00, 0x8000];
        Span<float> expected = stackalloc float[8];
        Span<float> actual = stackalloc float[8];
        try
        {
            foreach (var isBFloat16 in (bool[])[true, false])
            {
                var source = isBFloat16 ? bfloat16 : half;
                if (isBFloat16)
                {
                    HalfWidening.WidenBFloat16(source, expected);
                }
                else
                {
                    HalfWidening.Widen(System.Runtime.InteropServices.MemoryMarshal.Cast<ushort, Half>(source), expected);
                }

                fixed (ushort* host = source)
                fixed (float* result = actual)
                {
                    _runtime.MemcpyAsync(_b.Pointer, (nint)host, 16, CudaMemcpyKind.HostToDevice, _stream);
                    Kernels.Widen(isBFloat16, _a.Pointer, _b.Pointer, 8, _stream);
                    _runtime.MemcpyAsync((nint)result, _a.Pointer, 32, CudaMemcpyKind.DeviceToHost, _stream);
                    _runtime.Synchronize(_stream);
                }

                for (var i = 0; i < 8; i++)
                {
                    var same = float.IsNaN(expected[i])
                        ? float.IsNaN(actual[i])
                        : BitConverter.SingleToInt32Bits(actual[i]) == BitConverter.SingleToInt32Bits(expected[i]);
                    if (!same)
                    {
                        DisableKernels($"{(isBFloat16 ? WideningPtx.BFloat16Entry : WideningPtx.HalfEntry)} widened 0x{source[i]:X4} to {actual[i]}, expected {expected[i]}.");
                        return;
                    }
                }
            }
        }
        catch (CudaException e)
        {
            DisableKernels(e.Message);
        }
    }

    private void DisableKernels(string reason)
    {
        Kernels?.Dispose();
        Kernels = null;
        KernelsUnavailableReason = reason;
    }

    /// <summary>Makes this backend's device current on the calling thread (the runtime's current device is per thread).</summary>
    internal void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _runtime.SetDevice(DeviceOrdinal);
    }

    /// <summary>Waits until all work queued on this backend's device (every stream, every workspace) has completed.</summary>
    public void SynchronizeDevice()
    {
        lock (_gate)
        {
            MakeCurrent();
            _runtime.DeviceSynchronize();
        }
    }

    /// <summary>Enqueues a column-major SGEMM on <paramref name="stream"/> with this backend's cuBLAS handle.</summary>
    internal void EnqueueSgemm(nint stream, in ColumnMajorGemm call, nint first, nint second, nint c)
    {
        lock (_gate)
        {
            MakeCurrent();
            _blas.SetStream(_blasHandle, stream);
            try
            {
                _blas.Sgemm(_blasHandle, call, 1f, first, second, 0f, c);
            }
            finally
            {
                _blas.SetStream(_blasHandle, _stream);
            }
        }
    }

    /// <summary>Enqueues a column-major SSYRK (lower triangle, alpha 1, beta 0) on <paramref name="stream"/>.</summary>
    internal void EnqueueSsyrk(nint stream, in ColumnMajorSyrk call, nint a, nint c)
    {
        lock (_gate)
        {
            MakeCurrent();
            _blas.SetStream(_blasHandle, stream);
            try
            {
                _blas.Ssyrk(_blasHandle, call, 1f, a, 0f, c);
            }
            finally
            {
                _blas.SetStream(_blasHandle, _stream);
            }
        }
    }

    private static bool IsDouble<T>() => typeof(T) == typeof(double);

    /// <summary>Rows and columns of an operand as stored: op(X) is rows×cols, so X is cols×rows when transposed.</summary>
    private static (int Rows, int Cols) StoredShape(Transpose trans, int rows, int cols) =>
        trans == Transpose.No ? (rows, cols) : (cols, rows);

    private unsafe void GemmCore<T>(Transpose transA, Transpose transB, int m, int n, int k, T alpha,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, INumberBase<T>
    {
        BlasArguments.CheckGemm(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        var shapeA = StoredShape(transA, m, k);
        var shapeB = StoredShape(transB, k, n);
        if (m == 0 || n == 0)
        {
            return;
        }

        lock (_gate)
        {
            MakeCurrent();
            Upload(_a, a, shapeA.Rows, shapeA.Cols, lda);
            Upload(_b, b, shapeB.Rows, shapeB.Cols, ldb);
            _c.EnsureCapacity((ulong)m * (ulong)n * (ulong)sizeof(T));
            if (!T.IsZero(beta))
            {
                Upload(_c, c, m, n, ldc);
            }

            var call = ColumnMajorGemm.FromRowMajor(transA, transB, m, n, k, Math.Max(1, shapeA.Cols), Math.Max(1, shapeB.Cols), n);
            if (IsDouble<T>())
            {
                _blas.Dgemm(_blasHandle, call, double.CreateTruncating(alpha), _b.Pointer, _a.Pointer, double.CreateTruncating(beta), _c.Pointer);
            }
            else
            {
                _blas.Sgemm(_blasHandle, call, float.CreateTruncating(alpha), _b.Pointer, _a.Pointer, float.CreateTruncating(beta), _c.Pointer);
            }

            Download(_c, c, m, n, ldc);
        }
    }

    private unsafe void SyrkCore<T>(Transpose trans, int n, int k, T alpha, ReadOnlySpan<T> a, int lda, T beta, Span<T> c, int ldc)
        where T : unmanaged, INumberBase<T>
    {
        BlasArguments.CheckSyrk(trans, n, k, a.Length, lda, c.Length, ldc);
        var shapeA = StoredShape(trans, n, k);
        if (n == 0)
        {
            return;
        }

        lock (_gate)
        {
            MakeCurrent();
            Upload(_a, a, shapeA.Rows, shapeA.Cols, lda);
            _c.EnsureCapacity((ulong)n * (ulong)n * (ulong)sizeof(T));
            if (!T.IsZero(beta))
            {
                Upload(_c, c, n, n, ldc);
            }

            var call = ColumnMajorSyrk.FromRowMajor(trans, n, k, Math.Max(1, shapeA.Cols), n);
            if (IsDouble<T>())
            {
                _blas.Dsyrk(_blasHandle, call, double.CreateTruncating(alpha), _a.Pointer, double.CreateTruncating(beta), _c.Pointer);
            }
            else
            {
                _blas.Ssyrk(_blasHandle, call, float.CreateTruncating(alpha), _a.Pointer, float.CreateTruncating(beta), _c.Pointer);
            }

            Download(_c, c, n, n, ldc);
        }

        MatrixLayout.MirrorUpperToLower(c, n, ldc);
    }

    private unsafe void EigenCore<T>(int n, Span<T> a, Span<T> eigenvalues)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        BlasArguments.CheckEigen(n, a.Length, eigenvalues.Length);
        BlasArguments.CheckFinite<T>(a, n);
        if (n == 0)
        {
            return;
        }

        var isDouble = IsDouble<T>();
        var call = isDouble ? "cusolverDnDsyevd" : "cusolverDnSsyevd";
        lock (_gate)
        {
            MakeCurrent();
            Upload(_a, (ReadOnlySpan<T>)a, n, n, n);
            _c.EnsureCapacity((ulong)n * (ulong)sizeof(T));
            var lwork = _solver.SyevdBufferSize(_solverHandle, isDouble, n, _a.Pointer, _c.Pointer);
            _work.EnsureCapacity((ulong)Math.Max(1, lwork) * (ulong)sizeof(T));
            _solver.Syevd(_solverHandle, isDouble, n, _a.Pointer, _c.Pointer, _work.Pointer, lwork, _info.Pointer);
            var info = ReadInfo(0);
            if (info != 0)
            {
                throw new CudaException(call, "devInfo", info, info > 0
                    ? $"{info} off-diagonal elements of the intermediate tridiagonal form did not converge (n = {n}); the input is left unchanged."
                    : $"parameter {-info} had an illegal value (n = {n}).");
            }

            Download(_a, a, n, n, n);
            Download(_c, eigenvalues, 1, n, n);
        }

        MatrixLayout.TransposeSquare(a, n);
    }

    private unsafe void OrthonormalizeCore<T>(int m, int n, Span<T> a)
        where T : unmanaged
    {
        BlasArguments.CheckQr(m, n, a.Length);
        if (n == 0)
        {
            return;
        }

        var isDouble = IsDouble<T>();
        using var columnMajor = new PooledArray<T>(m * n);
        MatrixLayout.Transpose<T>(a, m, n, columnMajor.Span);
        lock (_gate)
        {
            MakeCurrent();
            Upload(_a, (ReadOnlySpan<T>)columnMajor.Span, n, m, m);
            _c.EnsureCapacity((ulong)n * (ulong)sizeof(T));
            var lwork = _solver.QrBufferSize(_solverHandle, isDouble, m, n, _a.Pointer, _c.Pointer);
            _work.EnsureCapacity((ulong)Math.Max(1, lwork) * (ulong)sizeof(T));
            _solver.ThinQ(_solverHandle, isDouble, m, n, _a.Pointer, _c.Pointer, _work.Pointer, lwork, _info.At(0), _info.At(4));
            var geqrf = ReadInfo(0);
            var orgqr = ReadInfo(4);
            if (geqrf != 0 || orgqr != 0)
            {
                throw new CudaException(isDouble ? "cusolverDnDgeqrf/cusolverDnDorgqr" : "cusolverDnSgeqrf/cusolverDnSorgqr", "devInfo",
                    geqrf != 0 ? geqrf : orgqr, $"illegal parameter reported for a {m}×{n} matrix (geqrf info {geqrf}, orgqr info {orgqr}).");
            }

            Download(_a, columnMajor.Span, n, m, m);
        }

        MatrixLayout.Transpose<T>(columnMajor.Span, n, m, a);
    }

    /// <summary>Synchronises the stream and reads the int32 <c>devInfo</c> at <paramref name="byteOffset"/> of the info buffer.</summary>
    private unsafe int ReadInfo(ulong byteOffset)
    {
        int info;
        _runtime.MemcpyAsync((nint)(&info), _info.At(byteOffset), sizeof(int), CudaMemcpyKind.DeviceToHost, _stream);
        _runtime.Synchronize(_stream);
        return info;
    }

    /// <summary>Copies a row-major rows×cols host matrix (leading dimension ld) into <paramref name="destination"/>, packed (leading dimension cols).</summary>
    private unsafe void Upload<T>(DeviceBuffer destination, ReadOnlySpan<T> source, int rows, int cols, int ld)
        where T : unmanaged
    {
        var size = (ulong)sizeof(T);
        destination.EnsureCapacity((ulong)rows * (ulong)cols * size);
        if (rows == 0 || cols == 0)
        {
            return;
        }

        fixed (T* pointer = source)
        {
            _runtime.Memcpy2DAsync(destination.Pointer, (ulong)cols * size, (nint)pointer, (ulong)ld * size,
                (ulong)cols * size, (ulong)rows, CudaMemcpyKind.HostToDevice, _stream);
        }
    }

    /// <summary>Copies a packed rows×cols device matrix into the row-major host matrix (leading dimension ld) and waits for it.</summary>
    private unsafe void Download<T>(DeviceBuffer source, Span<T> destination, int rows, int cols, int ld)
        where T : unmanaged
    {
        var size = (ulong)sizeof(T);
        fixed (T* pointer = destination)
        {
            _runtime.Memcpy2DAsync((nint)pointer, (ulong)ld * size, source.Pointer, (ulong)cols * size,
                (ulong)cols * size, (ulong)rows, CudaMemcpyKind.DeviceToHost, _stream);
            _runtime.Synchronize(_stream);
        }
    }
}
