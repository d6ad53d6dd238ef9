namespace OrleansUws.ModelFormats.Fleets;

/// <summary>Named fleet shapes.</summary>
public static class FleetPresets
{
    /// <summary>Mistral-7B LoRA adapters: 32 decoder layers × q/k/v/o (q, o 4096×4096; k, v 1024×4096), r = 16, bf16.</summary>
    public const string Mistral7BLora = "mistral-7b-lora";

    /// <summary>ViT-B/16 full checkpoints: 12 blocks × query/key/value/output 768×768, MLP 3072×768 and 768×3072, f32.</summary>
    public const string VitB16 = "vit-b16";

    /// <summary>Small adapters for tests: 2 layers × q (48×32) and v (24×32), r = 4, k = 3, bf16.</summary>
    public const string Tiny = "tiny";

    /// <summary>Small checkpoints for tests: 2 blocks × attention 32×32, MLP 64×32 and 32×64, k = 3, f32.</summary>
    public const string TinyDense = "tiny-dense";

    /// <summary>All preset names.</summary>
    public static IReadOnlyList<string> Names { get; } = [Mistral7BLora, VitB16, Tiny, TinyDense];

    /// <summary>The decoder layers / blocks <paramref name="preset"/> has (what a layer count may be at most).</summary>
    /// <exception cref="ArgumentException">Unknown preset.</exception>
    public static int BlockCount(string preset) => preset switch
    {
        Mistral7BLora => 32,
        VitB16 => 12,
        Tiny or TinyDense => 2,
        _ => throw UnknownPreset(preset),
    };

    /// <summary>Creates a preset spec; adjust it further with <c>with { … }</c> (structure, rank, dtype, seed, noise, …).</summary>
    /// <param name="preset">One of <see cref="Names"/>.</param>
    /// <param name="modelCount">Number of models.</param>
    /// <param name="layerCount">Number of decoder layers / blocks to include, from the first; <see langword="null"/> for all.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="ArgumentException">Unknown preset, or a layer count outside 1..the preset's blocks.</exception>
    public static FleetSpec Create(string preset, int modelCount, int? layerCount = null) => preset switch
    {
        Mistral7BLora => Adapters(preset, Blocks(preset, layerCount), i =>
        [
            new($"model.layers.{i}.self_attn.q_proj", 4096, 4096),
            new($"model.layers.{i}.self_attn.k_proj", 1024, 4096),
            new($"model.layers.{i}.self_attn.v_proj", 1024, 4096),
            new($"model.layers.{i}.self_attn.o_proj", 4096, 4096),
        ]) with { ModelCount = modelCount, Rank = 16, LoraAlpha = 32, SubspaceDimension = 8 },
        Tiny => Adapters(preset, Blocks(preset, layerCount), i =>
        [
            new($"model.layers.{i}.self_attn.q_proj", 48, 32),
            new($"model.layers.{i}.self_attn.v_proj", 24, 32),
        ]) with { ModelCount = modelCount, Rank = 4, LoraAlpha = 8, SubspaceDimension = 3 },
        VitB16 => Dense(preset, Blocks(preset, layerCount), i =>
        [
            new($"encoder.layer.{i}.attention.attention.query", 768, 768),
            new($"encoder.layer.{i}.attention.attention.key", 768, 768),
            new($"encoder.layer.{i}.attention.attention.value", 768, 768),
            new($"encoder.layer.{i}.attention.output.dense", 768, 768),
            new($"encoder.layer.{i}.intermediate.dense", 3072, 768),
            new($"encoder.layer.{i}.output.dense", 768, 3072),
        ]) with { ModelCount = modelCount, SubspaceDimension = 8 },
        TinyDense => Dense(preset, Blocks(preset, layerCount), i =>
        [
            new($"blocks.{i}.attn", 32, 32),
            new($"blocks.{i}.mlp.fc1", 64, 32),
            new($"blocks.{i}.mlp.fc2", 32, 64),
        ]) with { ModelCount = modelCount, SubspaceDimension = 3 },
        _ => throw UnknownPreset(preset),
    };

    private static int Blocks(string preset, int? requested)
    {
        int available = BlockCount(preset);
        return requested is null ? available
            : requested >= 1 && requested <= available ? requested.Value
            : throw new ArgumentOutOfRangeException("layerCount", requested, $"Preset '{preset}' has {available} layers; {requested} were asked for.");
    }

    private static ArgumentException UnknownPreset(string preset) =>
        new($"Unknown fleet preset '{preset}'; known: {string.Join(", ", Names)}.", nameof(preset));

    private static FleetSpec Adapters(string preset, int blocks, Func<int, FleetLayerSpec[]> layers) =>
        new() { Preset = preset, Kind = FleetKind.LoraAdapters, DType = TensorDType.BF16, Layers = Enumerable.Range(0, blocks).SelectMany(layers).ToArray() };

    private static FleetSpec Dense(string preset, int blocks, Func<int, FleetLayerSpec[]> layers) =>
        new() { Preset = preset, Kind = FleetKind.DenseCheckpoints, DType = TensorDType.F32, Layers = Enumerable.Range(0, blocks).SelectMany(layers).ToArray() };
}
