using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace OrleansUws.Numerics.Bench;

/// <summary>Writes the fleet's factors to raw files and runs compare_python.py under /usr/bin/python3.</summary>
internal sealed class PythonComparison : IDisposable
{
    private readonly FileStream _b;
    private readonly FileStream _a;

    public PythonComparison()
    {
        Folder = Path.Combine(Path.GetTempPath(), $"uws-numerics-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(Folder);
        _b = File.Create(Path.Combine(Folder, "lora_B.f32"));
        _a = File.Create(Path.Combine(Folder, "lora_A.f32"));
    }

    public string Folder { get; }

    public void Write(ReadOnlyMemory<float> b, ReadOnlyMemory<float> a)
    {
        _b.Write(MemoryMarshal.AsBytes(b.Span));
        _a.Write(MemoryMarshal.AsBytes(a.Span));
    }

    public IReadOnlyList<(string Method, double? Seconds, double? Sin)> Run(string python, int models, int m, int n, int r, int k, float alpha, float[] ourBasis)
    {
        _b.Flush();
        _a.Flush();
        File.WriteAllBytes(Path.Combine(Folder, "basis.f32"), MemoryMarshal.AsBytes(ourBasis.AsSpan()).ToArray());
        string script = Path.Combine(AppContext.BaseDirectory, "compare_python.py");
        var start = new ProcessStartInfo(python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in new[] { script, Folder, $"{models}", $"{m}", $"{n}", $"{r}", $"{k}", $"{alpha}" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {python}.");
        var results = new List<(string, double?, double?)>();
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            double? Get(string name) => root.GetProperty(name).ValueKind == JsonValueKind.Number ? root.GetProperty(name).GetDouble() : null;
            results.Add((root.GetProperty("method").GetString()!, Get("seconds"), Get("sin")));
            Console.WriteLine($"  python: {line}");
        }

        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{python} {script} exited with {process.ExitCode}: {errors}");
        }

        return results;
    }

    public void Dispose()
    {
        _b.Dispose();
        _a.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
