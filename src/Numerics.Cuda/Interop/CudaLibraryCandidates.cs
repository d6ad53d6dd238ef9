namespace OrleansUws.Numerics.Cuda.Interop;

/// <summary>
/// The file names tried, in order, for each native CUDA library, and the extra directories searched after the
/// loader's own search path (<c>LD_LIBRARY_PATH</c>, <c>ld.so.cache</c>). The defaults cover CUDA 13 and 12:
/// the runtime is <c>libcudart.so.13</c>/<c>.12</c>, cuBLAS <c>libcublas.so.13</c>/<c>.12</c> and cuSOLVER
/// <c>libcusolver.so.12</c> (CUDA 13) / <c>.11</c> (CUDA 12) — each library carries its own major version.
/// </summary>
/// <param name="Runtime">Candidates for the CUDA runtime (<c>libcudart</c>).</param>
/// <param name="Blas">Candidates for cuBLAS (<c>libcublas</c>).</param>
/// <param name="Solver">Candidates for cuSOLVER (<c>libcusolver</c>).</param>
/// <param name="Driver">Candidates for the driver API (<c>libcuda</c>, installed with the NVIDIA driver).</param>
/// <param name="SearchDirectories">Directories tried, in order, with each candidate name when the plain name does not load.</param>
public sealed record CudaLibraryCandidates(
    IReadOnlyList<string> Runtime,
    IReadOnlyList<string> Blas,
    IReadOnlyList<string> Solver,
    IReadOnlyList<string> Driver,
    IReadOnlyList<string> SearchDirectories)
{
    /// <summary>Environment variable with extra directories (separated by the platform's path separator) to search for the CUDA libraries.</summary>
    public const string LibraryPathVariable = "UWS_CUDA_LIBRARY_PATH";

    /// <summary>The CUDA 13 and 12 names for this operating system, searching <see cref="LibraryPathVariable"/>,
    /// <c>$CUDA_HOME/lib64</c>, <c>$CUDA_PATH/lib64</c> and the toolkit's default directory.</summary>
    public static CudaLibraryCandidates ForCurrentPlatform() => OperatingSystem.IsWindows()
        ? new(
            ["cudart64_13.dll", "cudart64_12.dll"],
            ["cublas64_13.dll", "cublas64_12.dll"],
            ["cusolver64_12.dll", "cusolver64_11.dll"],
            ["nvcuda.dll"],
            DefaultSearchDirectories("bin"))
        : new(
            ["libcudart.so.13", "libcudart.so.12", "libcudart.so"],
            ["libcublas.so.13", "libcublas.so.12", "libcublas.so"],
            ["libcusolver.so.12", "libcusolver.so.11", "libcusolver.so"],
            ["libcuda.so.1", "libcuda.so"],
            DefaultSearchDirectories("lib64"));

    private static string[] DefaultSearchDirectories(string libFolder)
    {
        var directories = new List<string>();
        var extra = Environment.GetEnvironmentVariable(LibraryPathVariable);
        if (!string.IsNullOrWhiteSpace(extra))
        {
            directories.AddRange(extra.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        foreach (var variable in (string[])["CUDA_HOME", "CUDA_PATH"])
        {
            var root = Environment.GetEnvironmentVariable(variable);
            if (!string.IsNullOrWhiteSpace(root))
            {
                directories.Add(Path.Combine(root, libFolder));
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            directories.Add("/usr/local/cuda/lib64");
        }

        return [.. directories.Distinct(StringComparer.Ordinal)];
    }
}
