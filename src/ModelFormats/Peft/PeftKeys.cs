namespace OrleansUws.ModelFormats.Peft;

/// <summary>
/// Maps PEFT tensor keys to layer ids. Rule: take the module path before <c>.lora_A.</c>/<c>.lora_B.</c>
/// (the key must end in <c>weight</c>, optionally after an adapter name such as <c>default.</c>), drop a leading
/// <c>base_model.model.</c>, then a leading <c>model.</c>. So
/// <c>base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight</c> → <c>layers.3.self_attn.q_proj</c>.
/// Dense checkpoint keys drop the trailing <c>.weight</c> and a leading <c>model.</c>, so a full Mistral
/// checkpoint and its adapters share layer ids.
/// </summary>
public static class PeftKeys
{
    private const string BasePrefix = "base_model.model.";
    private const string ModelPrefix = "model.";
    private const string WeightSuffix = ".weight";

    /// <summary>Parses a PEFT LoRA key.</summary>
    /// <param name="key">The tensor key.</param>
    /// <param name="modulePath">The module path after <c>base_model.model.</c> (e.g. <c>model.layers.3.self_attn.q_proj</c>).</param>
    /// <param name="layerId">The layer id.</param>
    /// <param name="factor">A or B.</param>
    /// <returns>Whether the key is a LoRA A/B weight.</returns>
    public static bool TryParseLoraKey(string key, out string modulePath, out string layerId, out LoraFactor factor)
    {
        modulePath = layerId = string.Empty;
        factor = LoraFactor.A;
        int at = key.LastIndexOf(".lora_A.", StringComparison.Ordinal);
        int bt = key.LastIndexOf(".lora_B.", StringComparison.Ordinal);
        int index = Math.Max(at, bt);
        if (index <= 0)
        {
            return false;
        }

        string tail = key[(index + ".lora_A.".Length)..];
        if (tail != "weight" && !(tail.EndsWith(WeightSuffix, StringComparison.Ordinal) && !tail[..^WeightSuffix.Length].Contains('.')))
        {
            return false;
        }

        factor = at > bt ? LoraFactor.A : LoraFactor.B;
        string path = key[..index];
        modulePath = path.StartsWith(BasePrefix, StringComparison.Ordinal) ? path[BasePrefix.Length..] : path;
        layerId = StripModelPrefix(modulePath);
        return layerId.Length > 0;
    }

    /// <summary>The layer id of a dense checkpoint weight key: without <c>.weight</c> and a leading <c>model.</c>.</summary>
    /// <param name="key">The tensor key.</param>
    /// <returns>The layer id.</returns>
    public static string DenseLayerId(string key)
    {
        string path = key.EndsWith(WeightSuffix, StringComparison.Ordinal) ? key[..^WeightSuffix.Length] : key;
        return StripModelPrefix(path);
    }

    /// <summary>The PEFT key of a factor, as <c>save_pretrained</c> writes it.</summary>
    /// <param name="modulePath">The module path, e.g. <c>model.layers.3.self_attn.q_proj</c>.</param>
    /// <param name="factor">A or B.</param>
    /// <returns>e.g. <c>base_model.model.model.layers.3.self_attn.q_proj.lora_A.weight</c>.</returns>
    public static string LoraKey(string modulePath, LoraFactor factor) =>
        $"{BasePrefix}{modulePath}.lora_{factor}.weight";

    private static string StripModelPrefix(string path) =>
        path.StartsWith(ModelPrefix, StringComparison.Ordinal) ? path[ModelPrefix.Length..] : path;
}
