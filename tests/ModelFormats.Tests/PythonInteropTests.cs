using System.Diagnostics;
using OrleansUws.ModelFormats.Safetensors;
using Xunit;

namespace OrleansUws.ModelFormats.Tests;

/// <summary>
/// Files we write are read by an independent hand-written parser (Debian's python3 + numpy), and files it writes
/// are read by us. Skipped, with the reason, where that interpreter or numpy is absent.
/// </summary>
public sealed class PythonInteropTests : IDisposable
{
    private const string Python = "/usr/bin/python3";

    private static readonly (string Name, TensorDType DType, long[] Shape)[] Expected =
    [
        ("layers.0.q.weight", TensorDType.BF16, [5, 7]),
        ("layers.0.k.weight", TensorDType.F16, [3, 4]),
        ("bias", TensorDType.F32, [6]),
        ("scale", TensorDType.F64, [2, 2]),
    ];

    private static readonly Lazy<string?> MissingReason = new(FindMissingReason);

    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static float[] Values(long count) =>
        Enumerable.Range(0, (int)count).Select(i => (((i * 37) % 101) - 50) / 8f).ToArray();

    private static string Script => Path.Combine(AppContext.BaseDirectory, "Interop", "safetensors_interop.py");

    [Fact]
    public void PythonReadsWhatWeWrite()
    {
        SkipWithoutNumpy();
        string path = _temp.File("ours.safetensors");
        SafetensorsWriter.WriteAll(path,
            Expected.Select(e => (new TensorSpec(e.Name, e.DType, e.Shape), Values(e.Shape.Aggregate(1L, (a, b) => a * b)))).ToArray(),
            new Dictionary<string, string> { ["producer"] = "OrleansUws", ["purpose"] = "interop" });
        (int code, string output) = Run("check", path);
        Assert.True(code == 0, output);
        Assert.Contains("ok 4 tensors", output);
    }

    [Fact]
    public void WeReadWhatPythonWrites()
    {
        SkipWithoutNumpy();
        string path = _temp.File("theirs.safetensors");
        (int code, string output) = Run("write", path);
        Assert.True(code == 0, output);
        using SafetensorsFile file = SafetensorsFile.Open(path);
        Assert.Equal("numpy", file.Metadata["producer"]);
        foreach ((string name, TensorDType dtype, long[] shape) in Expected)
        {
            TensorInfo info = file.GetTensor(name);
            Assert.Equal(dtype, info.DType);
            Assert.Equal(shape, info.Shape);
            var values = new float[info.ElementCount];
            file.ReadTensor(name, values);
            Assert.Equal(Values(info.ElementCount), values);
        }
    }

    private static void SkipWithoutNumpy()
    {
        if (MissingReason.Value is string reason)
        {
            Assert.Skip(reason);
        }
    }

    private static string? FindMissingReason()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is not installed (apt-get install python3-numpy)";
        }

        (int code, string output) = Exec("-c \"import numpy\"");
        return code == 0 ? null : $"numpy is not importable by {Python} (apt-get install python3-numpy): {output.Trim()}";
    }

    private static (int Code, string Output) Run(string verb, string path) => Exec($"\"{Script}\" {verb} \"{path}\"");

    private static (int Code, string Output) Exec(string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(Python, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
