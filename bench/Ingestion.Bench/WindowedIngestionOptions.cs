using System.Globalization;
using OrleansUws.Coordinator.Ingestion;

namespace OrleansUws.Ingestion.Bench;

/// <summary>Options of the windowed ingestion benchmark.</summary>
public sealed record WindowedIngestionOptions
{
    /// <summary>Models to generate (tiny preset) when no fleet is given.</summary>
    public int Models { get; init; } = 20_000;

    /// <summary>Decoder layers of the generated fleet (two adapted projections each).</summary>
    public int Layers { get; init; } = 2;

    /// <summary>Models per reported window.</summary>
    public int Window { get; init; } = 1_000;

    /// <summary>New basis versions every this many models (0 = none until the end).</summary>
    public int VersionEvery { get; init; } = 500;

    /// <summary>Submissions in flight.</summary>
    public int Parallelism { get; init; } = ModelIngestor.DefaultParallelism;

    /// <summary>An existing fleet folder to ingest instead of generating one.</summary>
    public string? Fleet { get; init; }

    /// <summary>Parses <c>--name value</c> pairs.</summary>
    /// <exception cref="ArgumentException">An unknown option or a bad value, named.</exception>
    public static WindowedIngestionOptions Parse(IReadOnlyList<string> args)
    {
        var options = new WindowedIngestionOptions();
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            var value = args[i + 1];
            options = args[i] switch
            {
                "--models" => options with { Models = Positive(args[i], value) },
                "--layers" => options with { Layers = Positive(args[i], value) },
                "--window" => options with { Window = Positive(args[i], value) },
                "--version-every" => options with { VersionEvery = int.Parse(value, CultureInfo.InvariantCulture) },
                "--parallelism" => options with { Parallelism = Positive(args[i], value) },
                "--fleet" => options with { Fleet = value },
                _ => throw new ArgumentException($"unknown option '{args[i]}'"),
            };
        }

        if (args.Count % 2 != 0)
        {
            throw new ArgumentException($"option '{args[^1]}' has no value");
        }

        return options;
    }

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} must be a positive integer (got '{value}')");
}
