using System.Runtime.InteropServices;

namespace OrleansUws.Numerics.Cuda.Interop;

/// <summary>Direction of a <c>cudaMemcpy</c> (<c>cudaMemcpyKind</c>).</summary>
internal enum CudaMemcpyKind
{
    HostToDevice = 1,
    DeviceToHost = 2,
    DeviceToDevice = 3,
}

/// <summary>
/// The CUDA runtime (<c>libcudart</c>) functions this backend uses, bound by function pointer. Every wrapper checks
/// the returned <c>cudaError_t</c> and throws <see cref="CudaException"/> naming the call and the error
/// (its name from <c>cudaGetErrorName</c>).
/// </summary>
internal sealed unsafe class CudaRuntimeApi
{
    /// <summary><c>cudaStreamNonBlocking</c>: the stream does not synchronise with the legacy default stream.</summary>
    public const uint StreamNonBlocking = 1;

    /// <summary><c>cudaEventDisableTiming</c>.</summary>
    public const uint EventDisableTiming = 2;

    /// <summary><c>cudaDevAttrComputeCapabilityMajor</c>.</summary>
    public const int AttributeComputeCapabilityMajor = 75;

    /// <summary><c>cudaDevAttrComputeCapabilityMinor</c>.</summary>
    public const int AttributeComputeCapabilityMinor = 76;

    private readonly delegate* unmanaged<int, byte*> _getErrorName;
    private readonly delegate* unmanaged<int*, int> _getDeviceCount;
    private readonly delegate* unmanaged<int, int> _setDevice;
    private readonly delegate* unmanaged<int> _deviceSynchronize;
    private readonly delegate* unmanaged<int*, int, int, int> _deviceGetAttribute;
    private readonly delegate* unmanaged<int*, int> _runtimeGetVersion;
    private readonly delegate* unmanaged<int*, int> _driverGetVersion;
    private readonly delegate* unmanaged<nuint*, nuint*, int> _memGetInfo;
    private readonly delegate* unmanaged<nint*, nuint, int> _malloc;
    private readonly delegate* unmanaged<nint, int> _free;
    private readonly delegate* unmanaged<nint*, nuint, int> _mallocHost;
    private readonly delegate* unmanaged<nint, int> _freeHost;
    private readonly delegate* unmanaged<nint, nint, nuint, int, nint, int> _memcpyAsync;
    private readonly delegate* unmanaged<nint, nuint, nint, nuint, nuint, nuint, int, nint, int> _memcpy2DAsync;
    private readonly delegate* unmanaged<nint, int, nuint, nint, int> _memsetAsync;
    private readonly delegate* unmanaged<nint*, uint, int> _streamCreateWithFlags;
    private readonly delegate* unmanaged<nint, int> _streamDestroy;
    private readonly delegate* unmanaged<nint, int> _streamSynchronize;
    private readonly delegate* unmanaged<nint, nint, uint, int> _streamWaitEvent;
    private readonly delegate* unmanaged<nint*, uint, int> _eventCreateWithFlags;
    private readonly delegate* unmanaged<nint, nint, int> _eventRecord;
    private readonly delegate* unmanaged<nint, int> _eventSynchronize;
    private readonly delegate* unmanaged<float*, nint, nint, int> _eventElapsedTime;
    private readonly delegate* unmanaged<nint, int> _eventDestroy;

    /// <summary>Binds every export; throws <see cref="EntryPointNotFoundException"/> naming the first one missing.</summary>
    public CudaRuntimeApi(NativeLibraryHandle library)
    {
        Library = library;
        _getErrorName = (delegate* unmanaged<int, byte*>)library.GetExport("cudaGetErrorName");
        _getDeviceCount = (delegate* unmanaged<int*, int>)library.GetExport("cudaGetDeviceCount");
        _setDevice = (delegate* unmanaged<int, int>)library.GetExport("cudaSetDevice");
        _deviceSynchronize = (delegate* unmanaged<int>)library.GetExport("cudaDeviceSynchronize");
        _deviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)library.GetExport("cudaDeviceGetAttribute");
        _runtimeGetVersion = (delegate* unmanaged<int*, int>)library.GetExport("cudaRuntimeGetVersion");
        _driverGetVersion = (delegate* unmanaged<int*, int>)library.GetExport("cudaDriverGetVersion");
        _memGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)library.GetExport("cudaMemGetInfo");
        _malloc = (delegate* unmanaged<nint*, nuint, int>)library.GetExport("cudaMalloc");
        _free = (delegate* unmanaged<nint, int>)library.GetExport("cudaFree");
        _mallocHost = (delegate* unmanaged<nint*, nuint, int>)library.GetExport("cudaMallocHost");
        _freeHost = (delegate* unmanaged<nint, int>)library.GetExport("cudaFreeHost");
        _memcpyAsync = (delegate* unmanaged<nint, nint, nuint, int, nint, int>)library.GetExport("cudaMemcpyAsync");
        _memcpy2DAsync = (delegate* unmanaged<nint, nuint, nint, nuint, nuint, nuint, int, nint, int>)library.GetExport("cudaMemcpy2DAsync");
        _memsetAsync = (delegate* unmanaged<nint, int, nuint, nint, int>)library.GetExport("cudaMemsetAsync");
        _streamCreateWithFlags = (delegate* unmanaged<nint*, uint, int>)library.GetExport("cudaStreamCreateWithFlags");
        _streamDestroy = (delegate* unmanaged<nint, int>)library.GetExport("cudaStreamDestroy");
        _streamSynchronize = (delegate* unmanaged<nint, int>)library.GetExport("cudaStreamSynchronize");
        _streamWaitEvent = (delegate* unmanaged<nint, nint, uint, int>)library.GetExport("cudaStreamWaitEvent");
        _eventCreateWithFlags = (delegate* unmanaged<nint*, uint, int>)library.GetExport("cudaEventCreateWithFlags");
        _eventRecord = (delegate* unmanaged<nint, nint, int>)library.GetExport("cudaEventRecord");
        _eventSynchronize = (delegate* unmanaged<nint, int>)library.GetExport("cudaEventSynchronize");
        _eventElapsedTime = (delegate* unmanaged<float*, nint, nint, int>)library.GetExport("cudaEventElapsedTime");
        _eventDestroy = (delegate* unmanaged<nint, int>)library.GetExport("cudaEventDestroy");
    }

    /// <summary>The loaded library.</summary>
    public NativeLibraryHandle Library { get; }

    /// <summary>The <c>cudaError_t</c> enumerator name of <paramref name="error"/>, e.g. <c>cudaErrorNoDevice</c>.</summary>
    public string ErrorName(int error)
    {
        var name = _getErrorName(error);
        return name is null ? $"cudaError({error})" : Marshal.PtrToStringUTF8((nint)name) ?? $"cudaError({error})";
    }

    /// <summary>Throws <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="error"/> is <c>cudaSuccess</c>.</summary>
    public void Check(int error, string call)
    {
        if (error != 0)
        {
            throw new CudaException(call, ErrorName(error), error);
        }
    }

    /// <summary><c>cudaGetDeviceCount</c> without throwing: the raw error, for probes that report it as a reason.</summary>
    public int TryGetDeviceCount(out int count)
    {
        int value;
        var error = _getDeviceCount(&value);
        count = error == 0 ? value : 0;
        return error;
    }

    /// <summary><c>cudaSetDevice</c>: makes <paramref name="ordinal"/> current on the calling thread.</summary>
    public void SetDevice(int ordinal) => Check(_setDevice(ordinal), "cudaSetDevice");

    /// <summary><c>cudaDeviceSynchronize</c>: waits for all work queued on the current device, on every stream.</summary>
    public void DeviceSynchronize() => Check(_deviceSynchronize(), "cudaDeviceSynchronize");

    /// <summary><c>cudaDeviceGetAttribute</c>.</summary>
    public int GetAttribute(int attribute, int ordinal)
    {
        int value;
        Check(_deviceGetAttribute(&value, attribute, ordinal), "cudaDeviceGetAttribute");
        return value;
    }

    /// <summary><c>cudaRuntimeGetVersion</c> (e.g. 13000 for 13.0).</summary>
    public int RuntimeVersion()
    {
        int value;
        Check(_runtimeGetVersion(&value), "cudaRuntimeGetVersion");
        return value;
    }

    /// <summary><c>cudaDriverGetVersion</c>: the newest CUDA version the installed driver supports (0 without a driver).</summary>
    public int DriverVersion()
    {
        int value;
        Check(_driverGetVersion(&value), "cudaDriverGetVersion");
        return value;
    }

    /// <summary><c>cudaMemGetInfo</c> for the current device.</summary>
    public (ulong Free, ulong Total) MemoryInfo()
    {
        nuint free, total;
        Check(_memGetInfo(&free, &total), "cudaMemGetInfo");
        return (free, total);
    }

    /// <summary><c>cudaMalloc</c>; the message names the byte count on failure.</summary>
    public nint Malloc(ulong bytes)
    {
        nint pointer;
        var error = _malloc(&pointer, (nuint)bytes);
        if (error != 0)
        {
            throw new CudaException("cudaMalloc", ErrorName(error), error, $"{bytes} bytes of device memory requested.");
        }

        return pointer;
    }

    /// <summary><c>cudaFree</c>.</summary>
    public void Free(nint pointer) => Check(_free(pointer), "cudaFree");

    /// <summary><c>cudaMallocHost</c>: page-locked host memory for asynchronous copies.</summary>
    public nint MallocHost(ulong bytes)
    {
        nint pointer;
        var error = _mallocHost(&pointer, (nuint)bytes);
        if (error != 0)
        {
            throw new CudaException("cudaMallocHost", ErrorName(error), error, $"{bytes} bytes of pinned host memory requested.");
        }

        return pointer;
    }

    /// <summary><c>cudaFreeHost</c>.</summary>
    public void FreeHost(nint pointer) => Check(_freeHost(pointer), "cudaFreeHost");

    /// <summary><c>cudaMemcpyAsync</c>.</summary>
    public void MemcpyAsync(nint destination, nint source, ulong bytes, CudaMemcpyKind kind, nint stream) =>
        Check(_memcpyAsync(destination, source, (nuint)bytes, (int)kind, stream), "cudaMemcpyAsync");

    /// <summary><c>cudaMemcpy2DAsync</c>: <paramref name="height"/> rows of <paramref name="widthBytes"/> bytes with the given pitches.</summary>
    public void Memcpy2DAsync(nint destination, ulong destinationPitch, nint source, ulong sourcePitch,
        ulong widthBytes, ulong height, CudaMemcpyKind kind, nint stream) =>
        Check(_memcpy2DAsync(destination, (nuint)destinationPitch, source, (nuint)sourcePitch, (nuint)widthBytes, (nuint)height, (int)kind, stream),
            "cudaMemcpy2DAsync");

    /// <summary><c>cudaMemsetAsync</c> with byte value 0.</summary>
    public void ZeroAsync(nint destination, ulong bytes, nint stream) =>
        Check(_memsetAsync(destination, 0, (nuint)bytes, stream), "cudaMemsetAsync");

    /// <summary><c>cudaStreamCreateWithFlags</c>.</summary>
    public nint CreateStream(uint flags)
    {
        nint stream;
        Check(_streamCreateWithFlags(&stream, flags), "cudaStreamCreateWithFlags");
        return stream;
    }

    /// <summary><c>cudaStreamDestroy</c>.</summary>
    public void DestroyStream(nint stream) => Check(_streamDestroy(stream), "cudaStreamDestroy");

    /// <summary><c>cudaStreamSynchronize</c>: waits for all work queued on <paramref name="stream"/>.</summary>
    public void Synchronize(nint stream) => Check(_streamSynchronize(stream), "cudaStreamSynchronize");

    /// <summary><c>cudaStreamWaitEvent</c>: later work on <paramref name="stream"/> waits for <paramref name="cudaEvent"/>.</summary>
    public void StreamWaitEvent(nint stream, nint cudaEvent) => Check(_streamWaitEvent(stream, cudaEvent, 0), "cudaStreamWaitEvent");

    /// <summary><c>cudaEventCreateWithFlags</c>.</summary>
    public nint CreateEvent(uint flags)
    {
        nint cudaEvent;
        Check(_eventCreateWithFlags(&cudaEvent, flags), "cudaEventCreateWithFlags");
        return cudaEvent;
    }

    /// <summary><c>cudaEventRecord</c>.</summary>
    public void RecordEvent(nint cudaEvent, nint stream) => Check(_eventRecord(cudaEvent, stream), "cudaEventRecord");

    /// <summary><c>cudaEventSynchronize</c>.</summary>
    public void SynchronizeEvent(nint cudaEvent) => Check(_eventSynchronize(cudaEvent), "cudaEventSynchronize");

    /// <summary><c>cudaEventElapsedTime</c> in milliseconds between two recorded timing events.</summary>
    public float ElapsedMilliseconds(nint start, nint end)
    {
        float milliseconds;
        Check(_eventElapsedTime(&milliseconds, start, end), "cudaEventElapsedTime");
        return milliseconds;
    }

    /// <summary><c>cudaEventDestroy</c>.</summary>
    public void DestroyEvent(nint cudaEvent) => Check(_eventDestroy(cudaEvent), "cudaEventDestroy");
}
