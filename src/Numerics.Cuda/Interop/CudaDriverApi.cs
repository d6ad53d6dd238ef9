using System.Runtime.InteropServices;
using System.Text;

namespace OrleansUws.Numerics.Cuda.Interop;

/// <summary>
/// The CUDA driver API (<c>libcuda</c>) functions used beside the runtime: device names for the probe, and loading a
/// PTX module and launching its kernels (the bf16/f16 widening kernels) on a runtime stream. The runtime and the
/// driver API share the device's primary context, so device pointers and streams pass between them unchanged.
/// </summary>
internal sealed unsafe class CudaDriverApi
{
    private readonly delegate* unmanaged<uint, int> _init;
    private readonly delegate* unmanaged<int, byte**, int> _getErrorName;
    private readonly delegate* unmanaged<int*, int, int> _deviceGet;
    private readonly delegate* unmanaged<byte*, int, int, int> _deviceGetName;
    private readonly delegate* unmanaged<nint*, byte*, int> _moduleLoadData;
    private readonly delegate* unmanaged<nint*, nint, byte*, int> _moduleGetFunction;
    private readonly delegate* unmanaged<nint, int> _moduleUnload;
    private readonly delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int> _launchKernel;

    /// <summary>Binds every export; throws <see cref="EntryPointNotFoundException"/> naming the first one missing.</summary>
    public CudaDriverApi(NativeLibraryHandle library)
    {
        Library = library;
        _init = (delegate* unmanaged<uint, int>)library.GetExport("cuInit");
        _getErrorName = (delegate* unmanaged<int, byte**, int>)library.GetExport("cuGetErrorName");
        _deviceGet = (delegate* unmanaged<int*, int, int>)library.GetExport("cuDeviceGet");
        _deviceGetName = (delegate* unmanaged<byte*, int, int, int>)library.GetExport("cuDeviceGetName");
        _moduleLoadData = (delegate* unmanaged<nint*, byte*, int>)library.GetExport("cuModuleLoadData");
        _moduleGetFunction = (delegate* unmanaged<nint*, nint, byte*, int>)library.GetExport("cuModuleGetFunction");
        _moduleUnload = (delegate* unmanaged<nint, int>)library.GetExport("cuModuleUnload");
        _launchKernel = (delegate* unmanaged<nint, uint, uint, uint, uint, uint, uint, uint, nint, void**, void**, int>)library.GetExport("cuLaunchKernel");
    }

    /// <summary>The loaded library.</summary>
    public NativeLibraryHandle Library { get; }

    /// <summary>The <c>CUresult</c> enumerator name of <paramref name="result"/>, e.g. <c>CUDA_ERROR_NO_DEVICE</c>.</summary>
    public string ErrorName(int result)
    {
        byte* name = null;
        return _getErrorName(result, &name) == 0 && name is not null
            ? Marshal.PtrToStringUTF8((nint)name) ?? $"CUresult({result})"
            : $"CUresult({result})";
    }

    /// <summary>Throws <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="result"/> is <c>CUDA_SUCCESS</c>.</summary>
    public void Check(int result, string call)
    {
        if (result != 0)
        {
            throw new CudaException(call, ErrorName(result), result);
        }
    }

    /// <summary><c>cuInit(0)</c>; idempotent.</summary>
    public void Init() => Check(_init(0), "cuInit");

    /// <summary><c>cuDeviceGet</c> then <c>cuDeviceGetName</c>.</summary>
    public string DeviceName(int ordinal)
    {
        int device;
        Check(_deviceGet(&device, ordinal), "cuDeviceGet");
        var buffer = stackalloc byte[256];
        Check(_deviceGetName(buffer, 256, device), "cuDeviceGetName");
        var length = new ReadOnlySpan<byte>(buffer, 256).IndexOf((byte)0);
        return Encoding.UTF8.GetString(buffer, length < 0 ? 256 : length);
    }

    /// <summary><c>cuModuleLoadData</c> of a NUL-terminated PTX text (JIT-compiled by the driver for the current device).</summary>
    public nint LoadModule(string ptx)
    {
        var bytes = Encoding.ASCII.GetBytes(ptx + "\0");
        nint module;
        fixed (byte* image = bytes)
        {
            Check(_moduleLoadData(&module, image), "cuModuleLoadData");
        }

        return module;
    }

    /// <summary><c>cuModuleGetFunction</c>.</summary>
    public nint GetFunction(nint module, string name)
    {
        var bytes = Encoding.ASCII.GetBytes(name + "\0");
        nint function;
        fixed (byte* entry = bytes)
        {
            Check(_moduleGetFunction(&function, module, entry), $"cuModuleGetFunction({name})");
        }

        return function;
    }

    /// <summary><c>cuModuleUnload</c>.</summary>
    public void UnloadModule(nint module) => Check(_moduleUnload(module), "cuModuleUnload");

    /// <summary><c>cuLaunchKernel</c> on a one-dimensional grid, on <paramref name="stream"/>.</summary>
    public void Launch(nint function, uint gridX, uint blockX, nint stream, void** parameters, string name) =>
        Check(_launchKernel(function, gridX, 1, 1, blockX, 1, 1, 0, stream, parameters, null), $"cuLaunchKernel({name})");
}
