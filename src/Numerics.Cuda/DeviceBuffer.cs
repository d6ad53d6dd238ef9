using OrleansUws.Numerics.Cuda.Interop;

namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// Device memory owned by one object: allocated with <c>cudaMalloc</c>, grown on demand by
/// <see cref="EnsureCapacity"/> (contents not preserved), freed exactly once by <see cref="Dispose"/>.
/// </summary>
internal sealed class DeviceBuffer : IDisposable
{
    private readonly CudaRuntimeApi _runtime;

    /// <summary>Allocates <paramref name="bytes"/> (at least 256) of device memory.</summary>
    public DeviceBuffer(CudaRuntimeApi runtime, ulong bytes)
    {
        _runtime = runtime;
        Capacity = Math.Max(bytes, 256);
        Pointer = runtime.Malloc(Capacity);
    }

    /// <summary>The device address (0 once disposed).</summary>
    public nint Pointer { get; private set; }

    /// <summary>Allocated size in bytes.</summary>
    public ulong Capacity { get; private set; }

    /// <summary>Reallocates when smaller than <paramref name="bytes"/>; the previous contents are discarded.
    /// The caller must have synchronised any stream still using the old allocation.</summary>
    public void EnsureCapacity(ulong bytes)
    {
        ObjectDisposedException.ThrowIf(Pointer == 0, this);
        if (bytes <= Capacity)
        {
            return;
        }

        var grown = Math.Max(bytes, Capacity + (Capacity / 2));
        _runtime.Free(Pointer);
        Pointer = 0;
        Pointer = _runtime.Malloc(grown);
        Capacity = grown;
    }

    /// <summary>The address <paramref name="byteOffset"/> bytes in.</summary>
    public nint At(ulong byteOffset) => Pointer + (nint)byteOffset;

    /// <summary>Frees the memory once.</summary>
    public void Dispose()
    {
        if (Pointer != 0)
        {
            var pointer = Pointer;
            Pointer = 0;
            _runtime.Free(pointer);
        }
    }
}
