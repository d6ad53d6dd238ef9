using System.Globalization;
using OrleansUws.TrainedFleet.Fleet;

namespace OrleansUws.TrainedFleet;

/// <summary>The command line: where to write, the fleet's size and seed, the k values to evaluate.</summary>
public sealed record BenchOptions
{
    /// <summary>Output folder (must be new or empty).</summary>
    public required string Output { get; init; }

    /// <summary>The fleet to train.</summary>
    public FleetSettings Fleet { get; init; } = new();

    /// <summary>Basis ranks evaluated.</summary>
    public IReadOnlyList<int> Ks { get; init; } = [2, 4, 8, 16];

    /// <summary>The data file.</summary>
    public string DataPath { get; init; } = Data.DigitsDataSet.DefaultPath;

    /// <summary>Usage line.</summary>
    public const string Usage = "usage: TrainedFleet --out DIR [--seed 1] [--in-sample 96] [--held-out 24] [--rank 8] [--alpha 16] [--ks 2,4,8,16] [--lora-epochs 20] [--lora-lr 2e-3] [--parallelism N] [--data digits.csv.gz]";

    /// <summary>Parses <c>--name value</c> pairs.</summary>
    /// <exception cref="ArgumentException">An unknown argument or a bad value; the message names it.</exception>
    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? output = null;
        var fleet = new FleetSettings();
        IReadOnlyList<int> ks = [2, 4, 8, 16];
        string data = Data.DigitsDataSet.DefaultPath;
        for (int i = 0; i < args.Count; i += 2)
        {
            string name = args[i];
            string value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"{name} needs a value", nameof(args));
            switch (name)
            {
                case "--out": output = value; break;
                case "--seed": fleet = fleet with { Seed = Integer(name, value, 0) }; break;
                case "--in-sample": fleet = fleet with { InSampleAdapters = Integer(name, value, 2) }; break;
                case "--held-out": fleet = fleet with { HeldOutAdapters = Integer(name, value, 1) }; break;
                case "--rank": fleet = fleet with { Rank = Integer(name, value, 1) }; break;
                case "--alpha": fleet = fleet with { Alpha = Integer(name, value, 1) }; break;
                case "--lora-epochs": fleet = fleet with { AdapterTraining = fleet.AdapterTraining with { Epochs = Integer(name, value, 1) } }; break;
                case "--lora-lr": fleet = fleet with { AdapterTraining = fleet.AdapterTraining with { LearningRate = Real(name, value) } }; break;
                case "--parallelism": fleet = fleet with { Parallelism = Integer(name, value, 1) }; break;
                case "--ks": ks = [.. value.Split(',').Select(k => Integer(name, k, 1)).Distinct().Order()]; break;
                case "--data": data = value; break;
                default: throw new ArgumentException($"unknown argument {name}; {Usage}", nameof(args));
            }
        }

        return new BenchOptions
        {
            Output = output ?? throw new ArgumentException($"--out is required; {Usage}", nameof(args)),
            Fleet = fleet,
            Ks = ks,
            DataPath = data,
        };
    }

    private static double Real(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && x > 0 && double.IsFinite(x)
            ? x
            : throw new ArgumentException($"{name} must be a positive number (got '{value}')", nameof(value));

    private static int Integer(string name, string value, int minimum) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= minimum
            ? n
            : throw new ArgumentException($"{name} must be an integer ≥ {minimum} (got '{value}')", nameof(value));
}
