using System.Diagnostics;
using System.Text;

namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>
/// A child process whose stdout and stderr are captured line by line (for assertion messages) and which is always
/// killed, with its whole process tree, on dispose.
/// </summary>
internal sealed class CapturedProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public CapturedProcess(string name, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        Name = name;
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last 6000 characters the process wrote (stdout and stderr interleaved), prefixed by its name.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                const int tail = 6000;
                var text = _output.Length <= tail ? _output.ToString() : "…" + _output.ToString(_output.Length - tail, tail);
                return $"--- {Name} (pid {_process.Id}{(_process.HasExited ? $", exited {_process.ExitCode}" : string.Empty)}) ---{Environment.NewLine}{text}";
            }
        }
    }

    /// <summary>Whether the process has written <paramref name="text"/>, anywhere in its output so far.</summary>
    public bool Wrote(string text)
    {
        lock (_output)
        {
            return _output.ToString().Contains(text, StringComparison.Ordinal);
        }
    }

    /// <summary>The first <paramref name="count"/> lines the process wrote that <paramref name="select"/> accepts.</summary>
    public IReadOnlyList<string> Lines(Func<string, bool> select, int count)
    {
        lock (_output)
        {
            return _output.ToString().Split(Environment.NewLine).Where(select).Take(count).ToArray();
        }
    }

    /// <summary>Waits until the process exits on its own; its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL (no shutdown of any kind), then waits until the process is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
