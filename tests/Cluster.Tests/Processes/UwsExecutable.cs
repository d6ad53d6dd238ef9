namespace OrleansUws.Cluster.Tests.Processes;

/// <summary>
/// The built <c>uws.dll</c> beside the tests (the project reference copies it), started as its own process with
/// <c>dotnet exec</c>: a CLI whose process holds only its own instruments, as it does in production.
/// </summary>
internal static class UwsExecutable
{
    /// <summary>Starts <c>uws</c> with <paramref name="arguments"/> (workstation GC, warnings only, plus <paramref name="environment"/>).</summary>
    public static CapturedProcess Start(string name, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var uws = Path.Combine(AppContext.BaseDirectory, "uws.dll");
        if (!File.Exists(uws))
        {
            throw new FileNotFoundException($"uws is not beside the tests (the project reference copies it): {uws}", uws);
        }

        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["DOTNET_gcServer"] = "0",
        };
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
        return new CapturedProcess(name, dotnet, ["exec", uws, .. arguments], variables);
    }
}
