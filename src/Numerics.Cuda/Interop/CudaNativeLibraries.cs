namespace OrleansUws.Numerics.Cuda.Interop;

/// <summary>
/// The four native CUDA libraries, loaded and bound. Native libraries stay loaded for the life of the process, so
/// the set for the default candidates is resolved once and shared.
/// </summary>
internal sealed class CudaNativeLibraries
{
    private static readonly Lazy<(CudaNativeLibraries? Libraries, string Reason)> Default = new(() =>
    {
        var loaded = TryLoad(CudaLibraryCandidates.ForCurrentPlatform(), out var libraries, out var reason);
        return (loaded ? libraries : null, reason);
    });

    private CudaNativeLibraries(CudaRuntimeApi runtime, CublasApi blas, CusolverApi solver, CudaDriverApi driver)
    {
        Runtime = runtime;
        Blas = blas;
        Solver = solver;
        Driver = driver;
    }

    /// <summary>The CUDA runtime.</summary>
    public CudaRuntimeApi Runtime { get; }

    /// <summary>cuBLAS.</summary>
    public CublasApi Blas { get; }

    /// <summary>cuSOLVER (dense).</summary>
    public CusolverApi Solver { get; }

    /// <summary>The driver API.</summary>
    public CudaDriverApi Driver { get; }

    /// <summary>One line naming the file each library was loaded from.</summary>
    public string Describe() =>
        $"{Runtime.Library.FileName}, {Blas.Library.FileName}, {Solver.Library.FileName}, {Driver.Library.FileName}";

    /// <summary>
    /// Loads and binds the libraries named by <paramref name="candidates"/> (the default set is cached for the process).
    /// On failure <paramref name="reason"/> names the library that is missing and every file tried, or the file and
    /// the export it lacks. Never throws for absence.
    /// </summary>
    public static bool TryLoad(CudaLibraryCandidates candidates, out CudaNativeLibraries? libraries, out string reason)
    {
        libraries = null;
        var directories = candidates.SearchDirectories;
        if (!NativeLibraryHandle.TryLoad("libcudart (CUDA runtime)", candidates.Runtime, directories, out var runtime, out reason)
            || !NativeLibraryHandle.TryLoad("libcuda (NVIDIA driver)", candidates.Driver, directories, out var driver, out reason)
            || !NativeLibraryHandle.TryLoad("libcublas (cuBLAS)", candidates.Blas, directories, out var blas, out reason)
            || !NativeLibraryHandle.TryLoad("libcusolver (cuSOLVER)", candidates.Solver, directories, out var solver, out reason))
        {
            return false;
        }

        try
        {
            libraries = new CudaNativeLibraries(new CudaRuntimeApi(runtime!), new CublasApi(blas!), new CusolverApi(solver!), new CudaDriverApi(driver!));
            return true;
        }
        catch (EntryPointNotFoundException e)
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>The libraries for <see cref="CudaLibraryCandidates.ForCurrentPlatform"/>, resolved once per process.</summary>
    public static bool TryLoadDefault(out CudaNativeLibraries? libraries, out string reason)
    {
        (libraries, reason) = Default.Value;
        return libraries is not null;
    }
}
