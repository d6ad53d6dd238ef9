using OrleansUws.Numerics.Cuda.Interop;

namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// The loaded widening kernels (<see cref="WideningPtx"/>) of one backend, launched on a caller's stream. The
/// module is loaded in the device's primary context, which the runtime API shares, and unloaded once on dispose.
/// </summary>
internal sealed unsafe class WideningKernels : IDisposable
{
    private const uint BlockSize = 256;
    private const uint MaximumGrid = 132 * 16;

    private readonly CudaDriverApi _driver;
    private readonly nint _bfloat16;
    private readonly nint _half;
    private nint _module;

    private WideningKernels(CudaDriverApi driver, nint module)
    {
        _driver = driver;
        _module = module;
        _bfloat16 = driver.GetFunction(module, WideningPtx.BFloat16Entry);
        _half = driver.GetFunction(module, WideningPtx.HalfEntry);
    }

    /// <summary>
    /// JIT-loads the module for the current device; returns null with a reason (naming the driver call and status)
    /// when the driver rejects it, in which case callers widen on the host.
    /// </summary>
    public static WideningKernels? TryLoad(CudaNativeLibraries native, out string reason)
    {
        nint module = 0;
        try
        {
            module = native.Driver.LoadModule(WideningPtx.Source);
            var kernels = new WideningKernels(native.Driver, module);
            reason = string.Empty;
            return kernels;
        }
        catch (CudaException e)
        {
            if (module != 0)
            {
                native.Driver.UnloadModule(module);
            }

            reason = e.Message;
            return null;
        }
    }

    /// <summary>Enqueues destination[i] = (float)source[i] for i &lt; count, source holding bf16 or f16 bits.</summary>
    public void Widen(bool isBFloat16, nint destination, nint source, ulong count, nint stream)
    {
        ObjectDisposedException.ThrowIf(_module == 0, this);
        if (count == 0)
        {
            return;
        }

        var grid = (uint)Math.Min(MaximumGrid, (count + BlockSize - 1) / BlockSize);
        var parameters = stackalloc void*[3];
        parameters[0] = &destination;
        parameters[1] = &source;
        parameters[2] = &count;
        _driver.Launch(isBFloat16 ? _bfloat16 : _half, grid, BlockSize, stream, parameters,
            isBFloat16 ? WideningPtx.BFloat16Entry : WideningPtx.HalfEntry);
    }

    /// <summary>Unloads the module once.</summary>
    public void Dispose()
    {
        if (_module != 0)
        {
            var module = _module;
            _module = 0;
            _driver.UnloadModule(module);
        }
    }
}
