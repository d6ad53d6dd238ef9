namespace OrleansUws.ModelFormats;

/// <summary>How dense checkpoints are interpreted.</summary>
public sealed class ModelReaderOptions
{
    /// <summary>The GPT-2 Conv1D module names, whose weights are stored in × out.</summary>
    public static readonly IReadOnlyCollection<string> Gpt2Conv1DModules = ["c_attn", "c_proj", "c_fc"];

    /// <summary>
    /// Last segments of module names whose dense weights are stored transposed (in × out). Default: the GPT-2 Conv1D
    /// names <c>c_attn</c>, <c>c_proj</c>, <c>c_fc</c>, which no other common architecture uses.
    /// </summary>
    public IReadOnlyCollection<string> TransposedModules { get; init; } = Gpt2Conv1DModules;
}
