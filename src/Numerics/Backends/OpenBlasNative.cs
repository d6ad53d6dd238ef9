using System.Runtime.InteropServices;

namespace OrleansUws.Numerics.Backends;

/// <summary>
/// Entry points of Debian's <c>libopenblas.so.0</c>, resolved once with <see cref="NativeLibrary"/>: the CBLAS
/// GEMM/SYRK (row-major) and the Fortran LAPACK routines (column-major, every argument by reference, trailing
/// hidden lengths for character arguments) — Debian's build exports no LAPACKE.
/// </summary>
internal sealed unsafe class OpenBlasNative
{
    /// <summary>CBLAS enumerations.</summary>
    internal const int RowMajor = 101, NoTrans = 111, Trans = 112, Upper = 121;

    /// <summary>Library names tried in order.</summary>
    internal static readonly string[] LibraryNames = ["libopenblas.so.0", "libopenblas.so", "libopenblas"];

    private OpenBlasNative(nint handle, string library)
    {
        Handle = handle;
        Library = library;
        Sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)Export("cblas_sgemm");
        Dgemm = (delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void>)Export("cblas_dgemm");
        Ssyrk = (delegate* unmanaged<int, int, int, int, int, float, float*, int, float, float*, int, void>)Export("cblas_ssyrk");
        Dsyrk = (delegate* unmanaged<int, int, int, int, int, double, double*, int, double, double*, int, void>)Export("cblas_dsyrk");
        Ssyevd = (delegate* unmanaged<byte*, byte*, int*, void*, int*, void*, void*, int*, int*, int*, int*, nuint, nuint, void>)Export("ssyevd_");
        Dsyevd = (delegate* unmanaged<byte*, byte*, int*, void*, int*, void*, void*, int*, int*, int*, int*, nuint, nuint, void>)Export("dsyevd_");
        Sstedc = (delegate* unmanaged<byte*, int*, void*, void*, void*, int*, void*, int*, int*, int*, int*, nuint, void>)Export("sstedc_");
        Sormtr = (delegate* unmanaged<byte*, byte*, byte*, int*, int*, void*, int*, void*, void*, int*, void*, int*, int*, nuint, nuint, nuint, void>)Export("sormtr_");
        Sgeqrf = (delegate* unmanaged<int*, int*, void*, int*, void*, void*, int*, int*, void>)Export("sgeqrf_");
        Dgeqrf = (delegate* unmanaged<int*, int*, void*, int*, void*, void*, int*, int*, void>)Export("dgeqrf_");
        Sorgqr = (delegate* unmanaged<int*, int*, int*, void*, int*, void*, void*, int*, int*, void>)Export("sorgqr_");
        Dorgqr = (delegate* unmanaged<int*, int*, int*, void*, int*, void*, void*, int*, int*, void>)Export("dorgqr_");
        SetNumThreads = NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint setThreads)
            ? (delegate* unmanaged<int, void>)setThreads
            : null;
        CoreName = NativeLibrary.TryGetExport(handle, "openblas_get_corename", out nint corename)
            ? Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)corename)())
            : null;
    }

    /// <summary>The core whose kernels the library runs (openblas_get_corename), or null when it does not say.</summary>
    public string? CoreName { get; }

    /// <summary>openblas_set_num_threads (process-wide), or null when the library does not export it.</summary>
    public delegate* unmanaged<int, void> SetNumThreads { get; }

    /// <summary>The loaded library handle.</summary>
    public nint Handle { get; }

    /// <summary>The library name that loaded.</summary>
    public string Library { get; }

    /// <summary>cblas_sgemm.</summary>
    public delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Sgemm { get; }

    /// <summary>cblas_dgemm.</summary>
    public delegate* unmanaged<int, int, int, int, int, int, double, double*, int, double*, int, double, double*, int, void> Dgemm { get; }

    /// <summary>cblas_ssyrk.</summary>
    public delegate* unmanaged<int, int, int, int, int, float, float*, int, float, float*, int, void> Ssyrk { get; }

    /// <summary>cblas_dsyrk.</summary>
    public delegate* unmanaged<int, int, int, int, int, double, double*, int, double, double*, int, void> Dsyrk { get; }

    /// <summary>ssyevd_ (Fortran).</summary>
    public delegate* unmanaged<byte*, byte*, int*, void*, int*, void*, void*, int*, int*, int*, int*, nuint, nuint, void> Ssyevd { get; }

    /// <summary>dsyevd_ (Fortran).</summary>
    public delegate* unmanaged<byte*, byte*, int*, void*, int*, void*, void*, int*, int*, int*, int*, nuint, nuint, void> Dsyevd { get; }

    /// <summary>sstedc_ (Fortran): divide and conquer on a symmetric tridiagonal.</summary>
    public delegate* unmanaged<byte*, int*, void*, void*, void*, int*, void*, int*, int*, int*, int*, nuint, void> Sstedc { get; }

    /// <summary>sormtr_ (Fortran): applies the Q of an ssytrd-form reduction.</summary>
    public delegate* unmanaged<byte*, byte*, byte*, int*, int*, void*, int*, void*, void*, int*, void*, int*, int*, nuint, nuint, nuint, void> Sormtr { get; }

    /// <summary>sgeqrf_ (Fortran).</summary>
    public delegate* unmanaged<int*, int*, void*, int*, void*, void*, int*, int*, void> Sgeqrf { get; }

    /// <summary>dgeqrf_ (Fortran).</summary>
    public delegate* unmanaged<int*, int*, void*, int*, void*, void*, int*, int*, void> Dgeqrf { get; }

    /// <summary>sorgqr_ (Fortran).</summary>
    public delegate* unmanaged<int*, int*, int*, void*, int*, void*, void*, int*, int*, void> Sorgqr { get; }

    /// <summary>dorgqr_ (Fortran).</summary>
    public delegate* unmanaged<int*, int*, int*, void*, int*, void*, void*, int*, int*, void> Dorgqr { get; }

    /// <summary>Loads the library and resolves every symbol; false with a reason naming what is missing.</summary>
    public static bool TryLoad(out OpenBlasNative? native, out string reason)
    {
        native = null;
        foreach (string name in LibraryNames)
        {
            if (!NativeLibrary.TryLoad(name, out nint handle))
            {
                continue;
            }

            try
            {
                native = new OpenBlasNative(handle, name);
                reason = $"loaded {native.Describe()}";
                return true;
            }
            catch (EntryPointNotFoundException ex)
            {
                NativeLibrary.Free(handle);
                reason = $"{name} lacks a required symbol: {ex.Message}";
                return false;
            }
        }

        reason = $"none of {string.Join(", ", LibraryNames)} could be loaded (install Debian's libopenblas0)";
        return false;
    }

    /// <summary>The library and the core it runs, e.g. "libopenblas.so.0 (SkylakeX kernels)".</summary>
    public string Describe() => CoreName is { Length: > 0 } core ? $"{Library} ({core} kernels)" : Library;

    private nint Export(string symbol)
        => NativeLibrary.TryGetExport(Handle, symbol, out nint address)
            ? address
            : throw new EntryPointNotFoundException($"symbol '{symbol}' not exported by {Library}");
}
