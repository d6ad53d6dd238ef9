using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansUws.ModelFormats.Fleets;

/// <summary>The <c>fleet.json</c> written beside a generated fleet: how it was made and what it holds.</summary>
public sealed record FleetManifest
{
    /// <summary>The file name.</summary>
    public const string FileName = "fleet.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Preset name.</summary>
    public required string Preset { get; init; }

    /// <summary>Adapters or checkpoints.</summary>
    public required FleetKind Kind { get; init; }

    /// <summary>Planted or random.</summary>
    public required FleetStructure Structure { get; init; }

    /// <summary>Number of models.</summary>
    public required int ModelCount { get; init; }

    /// <summary>The seed.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Noise level (row-norm of noise).</summary>
    public required double NoiseLevel { get; init; }

    /// <summary>Planted subspace dimension k.</summary>
    public required int SubspaceDimension { get; init; }

    /// <summary>Planted σ_j.</summary>
    public required IReadOnlyList<double> Spectrum { get; init; }

    /// <summary>Mean strength.</summary>
    public required double MeanStrength { get; init; }

    /// <summary>LoRA rank (adapters).</summary>
    public required int Rank { get; init; }

    /// <summary>lora_alpha (adapters).</summary>
    public required double LoraAlpha { get; init; }

    /// <summary>ΔW scaling α/r (adapters), 1 for checkpoints.</summary>
    public required double Scaling { get; init; }

    /// <summary>Element type on disk, e.g. <c>BF16</c>.</summary>
    public required string DType { get; init; }

    /// <summary>The layers.</summary>
    public required IReadOnlyList<FleetLayerSpec> Layers { get; init; }

    /// <summary>Model paths relative to the fleet folder, in index order.</summary>
    public required IReadOnlyList<string> Models { get; init; }

    /// <summary>The ground-truth file name, or <see langword="null"/> for a random fleet.</summary>
    public string? GroundTruth { get; init; }

    /// <summary>Reads <c>fleet.json</c> from a fleet folder.</summary>
    /// <param name="fleetFolder">The folder.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="ModelFormatException">The file is missing or invalid.</exception>
    public static FleetManifest Load(string fleetFolder)
    {
        string path = Path.Combine(fleetFolder, FileName);
        try
        {
            return JsonSerializer.Deserialize<FleetManifest>(File.ReadAllBytes(path), Json)
                ?? throw new ModelFormatException(path, null, "manifest is null");
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new ModelFormatException(path, null, $"cannot read the fleet manifest: {e.Message}", e);
        }
    }

    /// <summary>Writes <c>fleet.json</c> into a fleet folder.</summary>
    /// <param name="fleetFolder">The folder.</param>
    public void Save(string fleetFolder) =>
        File.WriteAllBytes(Path.Combine(fleetFolder, FileName), JsonSerializer.SerializeToUtf8Bytes(this, Json));
}
