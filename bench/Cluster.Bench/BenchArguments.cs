using System.Globalization;

namespace OrleansUws.Cluster.Bench;

/// <summary>Parses the benchmark's few <c>--name value</c> arguments.</summary>
public static class BenchArguments
{
    /// <summary>The options for <paramref name="args"/>.</summary>
    /// <exception cref="ArgumentException">An unknown argument or a bad value; the message names it.</exception>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i += 2)
        {
            var name = args[i];
            var value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{name} needs a value", nameof(args));
            switch (name)
            {
                case "--fleet": options.Fleet = value; break;
                case "--preset": options.Preset = value; break;
                case "--models": options.Models = Positive(name, value); break;
                case "--layers": options.Layers = Positive(name, value); break;
                case "--warmup": options.WarmupModels = Positive(name, value); break;
                case "--parallelism": options.Parallelism = Positive(name, value); break;
                case "--repeat": options.Repetitions = Positive(name, value); break;
                case "--version-every": options.VersionEvery = Positive(name, value); break;
                default: throw new ArgumentException($"unknown argument {name} (known: --fleet --preset --models --layers --warmup --parallelism --repeat --version-every)", nameof(args));
            }
        }

        return options;
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} must be a positive integer (got '{value}')", nameof(value));
}
