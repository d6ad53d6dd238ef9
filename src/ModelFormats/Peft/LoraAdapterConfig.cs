using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace OrleansUws.ModelFormats.Peft;

/// <summary>
/// The fields of a PEFT <c>adapter_config.json</c> that decide ΔW: rank <c>r</c>, <c>lora_alpha</c>,
/// <c>use_rslora</c> (scaling α/√r instead of α/r), <c>target_modules</c>, <c>fan_in_fan_out</c> (the base layer
/// stores its weight in × out, GPT-2 Conv1D style), and the per-module <c>rank_pattern</c>/<c>alpha_pattern</c>.
/// </summary>
/// <param name="Rank">The default rank r.</param>
/// <param name="Alpha">The default lora_alpha.</param>
/// <param name="UseRsLora">Whether scaling is α/√r.</param>
/// <param name="TargetModules">Module names adapted; empty when the config gives a regular expression or <c>all-linear</c>.</param>
/// <param name="FanInFanOut">Whether the base layers store their weight transposed.</param>
public sealed record LoraAdapterConfig(int Rank, double Alpha, bool UseRsLora, IReadOnlyList<string> TargetModules, bool FanInFanOut)
{
    /// <summary>The conventional file name.</summary>
    public const string FileName = "adapter_config.json";

    private static readonly TimeSpan PatternTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>Per-module rank overrides: PEFT pattern → rank.</summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();

    /// <summary>Per-module alpha overrides: PEFT pattern → alpha.</summary>
    public IReadOnlyDictionary<string, double> AlphaPattern { get; init; } = new Dictionary<string, double>();

    /// <summary>The base model named by the config, when present.</summary>
    public string? BaseModel { get; init; }

    /// <summary>Why a DoRA adapter is refused (its config's <c>use_dora</c>, or a <c>lora_magnitude_vector</c> tensor).</summary>
    internal const string DoraUpdate =
        "a DoRA adapter rescales W + s·B·A by a learned magnitude per output feature, so its update is not s·B·A; only plain LoRA adapters are read";

    /// <summary>The default scaling s of ΔW = s·B·A: α/r, or α/√r with rsLoRA.</summary>
    public double Scaling => ScalingFor(Rank, Alpha);

    /// <summary>The rank PEFT uses for a module (rank_pattern first, else r).</summary>
    /// <param name="modulePath">The module path after <c>base_model.model.</c>.</param>
    /// <returns>The rank.</returns>
    public int RankOf(string modulePath) => Match(RankPattern, modulePath, Rank);

    /// <summary>The scaling PEFT uses for a module, from its rank and alpha (patterns first).</summary>
    /// <param name="modulePath">The module path after <c>base_model.model.</c>.</param>
    /// <returns>The scaling.</returns>
    public double ScalingOf(string modulePath) => ScalingFor(RankOf(modulePath), Match(AlphaPattern, modulePath, Alpha));

    /// <summary>Reads and validates an <c>adapter_config.json</c>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The config.</returns>
    /// <exception cref="ModelFormatException">The file is not JSON, or a field is missing or of the wrong type or range.</exception>
    public static LoraAdapterConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelFormatException(path, null, "adapter config does not exist");
        }

        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllBytes(path)) as JsonObject
                ?? throw new ModelFormatException(path, null, "adapter config is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(path, null, $"invalid JSON: {e.Message}", e);
        }

        try
        {
            // Other PEFT methods keep adapter_config.json too; their updates are not s·B·A (AdaLoRA: B·diag(E)·A; DoRA:
            // W + s·B·A rescaled per output feature by a magnitude vector), so reading them as LoRA would bend every basis silently.
            if (root["peft_type"] is JsonValue type && type.TryGetValue(out string? peftType) && !string.Equals(peftType, "LORA", StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelFormatException(path, null, $"field 'peft_type' is '{peftType}'; only LoRA adapters (ΔW = s·B·A) are read");
            }

            if (root["use_dora"]?.GetValue<bool>() == true)
            {
                throw new ModelFormatException(path, null, "field 'use_dora' is true: " + DoraUpdate);
            }

            int rank = root["r"]?.GetValue<int>() ?? throw new ModelFormatException(path, null, "field 'r' is missing");
            double alpha = root["lora_alpha"]?.GetValue<double>() ?? rank;
            if (rank <= 0)
            {
                throw new ModelFormatException(path, null, $"field 'r' is {rank}; it must be positive");
            }

            if (!double.IsFinite(alpha) || alpha <= 0)
            {
                throw new ModelFormatException(path, null, $"field 'lora_alpha' is {alpha}; it must be positive and finite");
            }

            IReadOnlyList<string> targets = root["target_modules"] switch
            {
                JsonArray array => array.Select(n => n?.GetValue<string>() ?? throw new ModelFormatException(path, null, "field 'target_modules' holds a null")).ToArray(),
                _ => [],
            };
            var rankPattern = ReadPattern(root["rank_pattern"], path, "rank_pattern", n => n.GetValue<int>());
            if (rankPattern.FirstOrDefault(p => p.Value <= 0) is { Key: not null } bad)
            {
                throw new ModelFormatException(path, null, $"field 'rank_pattern' gives '{bad.Key}' rank {bad.Value}; it must be positive");
            }

            return new LoraAdapterConfig(
                rank,
                alpha,
                root["use_rslora"]?.GetValue<bool>() ?? false,
                targets,
                root["fan_in_fan_out"]?.GetValue<bool>() ?? false)
            {
                RankPattern = rankPattern,
                AlphaPattern = ReadPattern(root["alpha_pattern"], path, "alpha_pattern", n => n.GetValue<double>()),
                BaseModel = root["base_model_name_or_path"] is JsonValue v && v.TryGetValue(out string? name) ? name : null,
            };
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException and not ModelFormatException)
        {
            throw new ModelFormatException(path, null, $"a field has the wrong type: {e.Message}", e);
        }
    }

    /// <summary>Writes a PEFT-compatible <c>adapter_config.json</c>.</summary>
    /// <param name="path">The file.</param>
    public void Save(string path)
    {
        var root = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = BaseModel,
            ["r"] = Rank,
            ["lora_alpha"] = Alpha,
            ["lora_dropout"] = 0.0,
            ["use_rslora"] = UseRsLora,
            ["fan_in_fan_out"] = FanInFanOut,
            ["bias"] = "none",
            ["target_modules"] = new JsonArray([.. TargetModules.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["rank_pattern"] = new JsonObject(RankPattern.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
            ["alpha_pattern"] = new JsonObject(AlphaPattern.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
        };
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private double ScalingFor(int rank, double alpha) => UseRsLora ? alpha / Math.Sqrt(rank) : alpha / rank;

    private static Dictionary<string, T> ReadPattern<T>(JsonNode? node, string path, string field, Func<JsonNode, T> read)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        if (node is null)
        {
            return result;
        }

        if (node is not JsonObject map)
        {
            throw new ModelFormatException(path, null, $"field '{field}' is not an object");
        }

        foreach ((string key, JsonNode? value) in map)
        {
            result[key] = value is null ? throw new ModelFormatException(path, null, $"field '{field}' entry '{key}' is null") : read(value);
        }

        return result;
    }

    // PEFT matches a pattern p against a module name as re.match(rf"(.*\.)?({p})$", name).
    private static T Match<T>(IReadOnlyDictionary<string, T> patterns, string modulePath, T fallback)
    {
        foreach ((string pattern, T value) in patterns)
        {
            try
            {
                if (Regex.IsMatch(modulePath, $"^(.*\\.)?({pattern})$", RegexOptions.CultureInvariant, PatternTimeout))
                {
                    return value;
                }
            }
            catch (Exception e) when (e is ArgumentException or RegexMatchTimeoutException)
            {
                if (modulePath == pattern || modulePath.EndsWith("." + pattern, StringComparison.Ordinal))
                {
                    return value;
                }
            }
        }

        return fallback;
    }
}
