using OrleansUws.Numerics.Cuda.Interop;

namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// Page-locked host memory (<c>cudaMallocHost</c>) used as a staging area for asynchronous copies; freed exactly
/// once by <see cref="Dispose"/>.
/// </summary>
internal sealed unsafe class PinnedHostBuffer : IDisposable
{
    private readonly CudaRuntimeApi _runtime;

    /// <summary>Allocates <paramref name="bytes"/> of pinned host memory.</summary>
    public PinnedHostBuffer(CudaRuntimeApi runtime, ulong bytes)
    {
        _runtime = runtime;
        Bytes = bytes;
        Pointer = runtime.MallocHost(Math.Max(bytes, 256));
    }

    /// <summary>The host address (0 once disposed).</summary>
    public nint Pointer { get; private set; }

    /// <summary>Usable size in bytes.</summary>
    public ulong Bytes { get; }

    /// <summary>The first <paramref name="count"/> elements as a span.</summary>
    public Span<T> AsSpan<T>(int count)
        where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(Pointer == 0, this);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((ulong)count * (ulong)sizeof(T), Bytes, nameof(count));
        return new Span<T>((void*)Pointer, count);
    }

    /// <summary>Frees the memory once.</summary>
    public void Dispose()
    {
        if (Pointer != 0)
        {
            var pointer = Pointer;
            Pointer = 0;
            _runtime.FreeHost(pointer);
        }
    }
}
