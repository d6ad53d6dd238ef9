using System.Runtime.InteropServices;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda.Interop;

namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// A Frequent Directions buffer B (Rows × Cols, float32, row-major) resident in device memory between updates.
/// <para>
/// Uploads go through two pinned host slots and two device staging slots: <see cref="SetRows(int, ReadOnlySpan{float}, int)"/>
/// copies a chunk into a pinned slot, queues its host-to-device copy on a copy stream, and queues on the compute
/// stream (after an event) the device-to-device move into B; it returns without waiting, so the upload of the
/// next block overlaps the GEMM/SYRK of this one. bf16/f16 rows upload at half the bytes and are widened to
/// float32 on the device by a small PTX kernel (on the host when the driver rejected it).
/// <see cref="Gram"/> runs SSYRK on the device and returns the small Gram (float32 accumulation, widened to
/// float64); <see cref="RotateRows"/> runs one SGEMM into a second buffer and swaps (no host round trip of B).
/// </para>
/// Not thread-safe: one sketch is updated by one caller at a time. Dispose before its backend.
/// </summary>
public sealed class CudaSketchWorkspace : ISketchWorkspace
{
    private const int SlotCount = 2;

    private readonly CudaBlasBackend _backend;
    private readonly CudaRuntimeApi _runtime;
    private readonly nint _copyStream;
    private readonly nint _computeStream;
    private readonly DeviceBuffer _gram;
    private readonly DeviceBuffer _rotation;
    private readonly PinnedHostBuffer _gramHost;
    private readonly PinnedHostBuffer _rotationHost;
    private readonly nint _rotationUploaded;
    private readonly UploadSlot[] _slots = new UploadSlot[SlotCount];
    private readonly int _chunkRows;
    private DeviceBuffer _current;
    private DeviceBuffer _spare;
    private int _nextSlot;
    private bool _disposed;

    internal CudaSketchWorkspace(CudaBlasBackend backend, int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        _backend = backend;
        _runtime = backend.Native.Runtime;
        Rows = rows;
        Cols = cols;
        var rowBytes = (ulong)cols * sizeof(float);
        var slotBytes = Math.Max((ulong)backend.Options.StagingChunkBytes, rowBytes);
        _chunkRows = (int)Math.Min((ulong)rows, slotBytes / rowBytes);
        slotBytes = (ulong)_chunkRows * rowBytes;

        backend.MakeCurrent();
        try
        {
            _copyStream = _runtime.CreateStream(CudaRuntimeApi.StreamNonBlocking);
            _computeStream = _runtime.CreateStream(CudaRuntimeApi.StreamNonBlocking);
            _current = new DeviceBuffer(_runtime, (ulong)rows * rowBytes);
            _spare = new DeviceBuffer(_runtime, (ulong)rows * rowBytes);
            _gram = new DeviceBuffer(_runtime, (ulong)rows * (ulong)rows * sizeof(float));
            _rotation = new DeviceBuffer(_runtime, (ulong)rows * (ulong)rows * sizeof(float));
            _gramHost = new PinnedHostBuffer(_runtime, (ulong)rows * (ulong)rows * sizeof(float));
            _rotationHost = new PinnedHostBuffer(_runtime, (ulong)rows * (ulong)rows * sizeof(float));
            _rotationUploaded = _runtime.CreateEvent(CudaRuntimeApi.EventDisableTiming);
            for (var i = 0; i < SlotCount; i++)
            {
                _slots[i] = new UploadSlot(_runtime, slotBytes);
            }

            _runtime.ZeroAsync(_current.Pointer, (ulong)rows * rowBytes, _computeStream);
            _runtime.Synchronize(_computeStream);
        }
        catch (CudaException)
        {
            // e.g. cudaMalloc out of memory for a wide slice: free what was allocated, keep the original error.
            Release();
            throw;
        }
    }

    /// <inheritdoc />
    public int Rows { get; }

    /// <inheritdoc />
    public int Cols { get; }

    /// <summary>Whether bf16/f16 rows are widened on the device (false: on the host, see <see cref="CudaBlasBackend.KernelsUnavailableReason"/>).</summary>
    public bool WidensOnDevice => _backend.Kernels is not null;

    /// <inheritdoc />
    public void SetRows(int rowOffset, ReadOnlySpan<float> rows, int count)
    {
        CheckSource(rowOffset, rows.Length, count, "rows");
        Upload(rowOffset, MemoryMarshal.AsBytes(rows[..(count * Cols)]), count, sizeof(float), WideningKind.None);
    }

    /// <summary>
    /// Copies <paramref name="count"/> bfloat16 rows, given as their raw 16-bit patterns (as stored in safetensors),
    /// into rows [rowOffset, rowOffset + count), widening them exactly to float32.
    /// </summary>
    public void SetRowsBFloat16(int rowOffset, ReadOnlySpan<ushort> rows, int count)
    {
        CheckSource(rowOffset, rows.Length, count, "rows");
        Upload(rowOffset, MemoryMarshal.AsBytes(rows[..(count * Cols)]), count, 2, WideningKind.BFloat16);
    }

    /// <summary>Copies <paramref name="count"/> IEEE half rows into rows [rowOffset, rowOffset + count), widening them exactly to float32.</summary>
    public void SetRows(int rowOffset, ReadOnlySpan<Half> rows, int count)
    {
        CheckSource(rowOffset, rows.Length, count, "rows");
        Upload(rowOffset, MemoryMarshal.AsBytes(rows[..(count * Cols)]), count, 2, WideningKind.Half);
    }

    /// <inheritdoc />
    public void ClearRows(int rowOffset, int count)
    {
        ThrowIfDisposed();
        WorkspaceArguments.CheckRowRange(rowOffset, count, Rows);
        _backend.MakeCurrent();
        _runtime.ZeroAsync(RowPointer(_current, rowOffset), (ulong)count * RowBytes, _computeStream);
    }

    /// <inheritdoc />
    public unsafe void GetRows(int rowOffset, int count, Span<float> destination)
    {
        ThrowIfDisposed();
        WorkspaceArguments.CheckRowRange(rowOffset, count, Rows);
        WorkspaceArguments.CheckAtLeast(nameof(destination), destination.Length, (long)count * Cols, $"{count} rows of {Cols}");

        if (count == 0)
        {
            return;
        }

        _backend.MakeCurrent();
        fixed (float* pointer = destination)
        {
            _runtime.MemcpyAsync((nint)pointer, RowPointer(_current, rowOffset), (ulong)count * RowBytes, CudaMemcpyKind.DeviceToHost, _computeStream);
            _runtime.Synchronize(_computeStream);
        }
    }

    /// <inheritdoc />
    public void Gram(int activeRows, Span<double> gram)
    {
        ThrowIfDisposed();
        WorkspaceArguments.CheckRowRange(0, activeRows, Rows);
        WorkspaceArguments.CheckAtLeast(nameof(gram), gram.Length, (long)activeRows * activeRows, $"a {activeRows}×{activeRows} Gram");

        if (activeRows == 0)
        {
            return;
        }

        _backend.MakeCurrent();
        _backend.EnqueueSsyrk(_computeStream, ColumnMajorSyrk.FromRowMajor(Transpose.No, activeRows, Cols, Cols, activeRows), _current.Pointer, _gram.Pointer);
        var count = activeRows * activeRows;
        _runtime.MemcpyAsync(_gramHost.Pointer, _gram.Pointer, (ulong)count * sizeof(float), CudaMemcpyKind.DeviceToHost, _computeStream);
        _runtime.Synchronize(_computeStream);

        // cuBLAS wrote the column-major lower triangle, i.e. the row-major upper one: read (min, max).
        var packed = _gramHost.AsSpan<float>(count);
        for (var i = 0; i < activeRows; i++)
        {
            for (var j = 0; j < activeRows; j++)
            {
                gram[(i * activeRows) + j] = i <= j ? packed[(i * activeRows) + j] : packed[(j * activeRows) + i];
            }
        }
    }

    /// <inheritdoc />
    public void RotateRows(int activeRows, ReadOnlySpan<float> m, int outRows)
    {
        ThrowIfDisposed();
        WorkspaceArguments.CheckRowRange(0, activeRows, Rows);
        WorkspaceArguments.CheckRowRange(0, outRows, Rows);
        WorkspaceArguments.CheckAtLeast(nameof(m), m.Length, (long)outRows * activeRows, $"a {outRows}×{activeRows} rotation");

        _backend.MakeCurrent();
        if (outRows > 0 && activeRows > 0)
        {
            var count = outRows * activeRows;
            _runtime.SynchronizeEvent(_rotationUploaded);
            m[..count].CopyTo(_rotationHost.AsSpan<float>(count));
            _runtime.MemcpyAsync(_rotation.Pointer, _rotationHost.Pointer, (ulong)count * sizeof(float), CudaMemcpyKind.HostToDevice, _computeStream);
            _runtime.RecordEvent(_rotationUploaded, _computeStream);
            var call = ColumnMajorGemm.FromRowMajor(Transpose.No, Transpose.No, outRows, Cols, activeRows, activeRows, Cols, Cols);
            _backend.EnqueueSgemm(_computeStream, call, _current.Pointer, _rotation.Pointer, _spare.Pointer);
        }
        else
        {
            _runtime.ZeroAsync(_spare.Pointer, (ulong)outRows * RowBytes, _computeStream);
        }

        _runtime.ZeroAsync(RowPointer(_spare, outRows), (ulong)(Rows - outRows) * RowBytes, _computeStream);
        (_current, _spare) = (_spare, _current);
    }

    /// <summary>
    /// Queues a device-to-device copy of <paramref name="count"/> rows (Cols wide, float32) from device memory at
    /// <paramref name="source"/> into rows [rowOffset, rowOffset + count): for rows already on the GPU (benchmarks,
    /// rows produced by another device computation).
    /// </summary>
    internal void SetRowsFromDevice(int rowOffset, nint source, int count)
    {
        ThrowIfDisposed();
        WorkspaceArguments.CheckRowRange(rowOffset, count, Rows);
        _backend.MakeCurrent();
        _runtime.MemcpyAsync(RowPointer(_current, rowOffset), source, (ulong)count * RowBytes, CudaMemcpyKind.DeviceToDevice, _computeStream);
    }

    /// <summary>Waits until every queued upload and update of this workspace has completed on the device.</summary>
    public void Synchronize()
    {
        ThrowIfDisposed();
        _backend.MakeCurrent();
        _runtime.Synchronize(_copyStream);
        _runtime.Synchronize(_computeStream);
    }

    /// <summary>Waits for queued work, then frees device memory, pinned memory, events and streams once.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _backend.MakeCurrent();
        _runtime.Synchronize(_copyStream);
        _runtime.Synchronize(_computeStream);
        Release();
    }

    /// <summary>Frees whatever exists (also after a constructor failure part-way); idempotent.</summary>
    private void Release()
    {
        _disposed = true;
        foreach (var slot in _slots)
        {
            slot?.Dispose();
        }

        if (_rotationUploaded != 0)
        {
            _runtime.DestroyEvent(_rotationUploaded);
        }

        foreach (var buffer in (IDisposable?[])[_current, _spare, _gram, _rotation, _gramHost, _rotationHost])
        {
            buffer?.Dispose();
        }

        foreach (var stream in (nint[])[_copyStream, _computeStream])
        {
            if (stream != 0)
            {
                _runtime.DestroyStream(stream);
            }
        }
    }

    private ulong RowBytes => (ulong)Cols * sizeof(float);

    private nint RowPointer(DeviceBuffer buffer, int row) => buffer.At((ulong)row * RowBytes);

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private void CheckSource(int rowOffset, int length, int count, string name)
    {
        ThrowIfDisposed();
        WorkspaceArguments.CheckRowRange(rowOffset, count, Rows);
        WorkspaceArguments.CheckAtLeast(name, length, (long)count * Cols, $"{count} rows of {Cols}");
    }

    private void Upload(int rowOffset, ReadOnlySpan<byte> source, int count, int elementBytes, WideningKind widening)
    {
        if (count == 0)
        {
            return;
        }

        _backend.MakeCurrent();
        var kernels = _backend.Kernels;
        var onDevice = widening != WideningKind.None && kernels is not null;
        var sourceRowBytes = Cols * elementBytes;
        for (var done = 0; done < count;)
        {
            var chunk = Math.Min(_chunkRows, count - done);
            var elements = chunk * Cols;
            var slot = _slots[_nextSlot];
            _nextSlot = (_nextSlot + 1) % SlotCount;
            _runtime.SynchronizeEvent(slot.Consumed);

            var part = source.Slice(done * sourceRowBytes, chunk * sourceRowBytes);
            var stagedBytes = (ulong)part.Length;
            switch (widening)
            {
                case WideningKind.None:
                case WideningKind.BFloat16 or WideningKind.Half when onDevice:
                    part.CopyTo(slot.Host.AsSpan<byte>(part.Length));
                    break;
                case WideningKind.BFloat16:
                    HalfWidening.WidenBFloat16(MemoryMarshal.Cast<byte, ushort>(part), slot.Host.AsSpan<float>(elements));
                    stagedBytes = (ulong)elements * sizeof(float);
                    break;
                default:
                    HalfWidening.Widen(MemoryMarshal.Cast<byte, Half>(part), slot.Host.AsSpan<float>(elements));
                    stagedBytes = (ulong)elements * sizeof(float);
                    break;
            }

            _runtime.MemcpyAsync(slot.Device.Pointer, slot.Host.Pointer, stagedBytes, CudaMemcpyKind.HostToDevice, _copyStream);
            _runtime.RecordEvent(slot.Uploaded, _copyStream);
            _runtime.StreamWaitEvent(_computeStream, slot.Uploaded);
            var target = RowPointer(_current, rowOffset + done);
            if (onDevice)
            {
                kernels!.Widen(widening == WideningKind.BFloat16, target, slot.Device.Pointer, (ulong)elements, _computeStream);
            }
            else
            {
                _runtime.MemcpyAsync(target, slot.Device.Pointer, stagedBytes, CudaMemcpyKind.DeviceToDevice, _computeStream);
            }

            _runtime.RecordEvent(slot.Consumed, _computeStream);
            done += chunk;
        }
    }

    private enum WideningKind
    {
        None,
        BFloat16,
        Half,
    }

    /// <summary>One pinned host slot, its device twin, and the events ordering their reuse.</summary>
    private sealed class UploadSlot : IDisposable
    {
        private readonly CudaRuntimeApi _runtime;

        public UploadSlot(CudaRuntimeApi runtime, ulong bytes)
        {
            _runtime = runtime;
            Host = new PinnedHostBuffer(runtime, bytes);
            try
            {
                Device = new DeviceBuffer(runtime, bytes);
                Uploaded = runtime.CreateEvent(CudaRuntimeApi.EventDisableTiming);
                Consumed = runtime.CreateEvent(CudaRuntimeApi.EventDisableTiming);
            }
            catch (CudaException)
            {
                Host.Dispose();
                Device?.Dispose();
                if (Uploaded != 0)
                {
                    runtime.DestroyEvent(Uploaded);
                }

                throw;
            }
        }

        public PinnedHostBuffer Host { get; }

        public DeviceBuffer Device { get; }

        /// <summary>Recorded on the copy stream when the host-to-device copy of this slot is done.</summary>
        public nint Uploaded { get; }

        /// <summary>Recorded on the compute stream when the slot's device data has been moved into B.</summary>
        public nint Consumed { get; }

        public void Dispose()
        {
            _runtime.DestroyEvent(Uploaded);
            _runtime.DestroyEvent(Consumed);
            Host.Dispose();
            Device.Dispose();
        }
    }
}
