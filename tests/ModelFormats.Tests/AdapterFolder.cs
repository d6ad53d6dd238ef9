using OrleansUws.ModelFormats.Peft;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.ModelFormats.Tests;

/// <summary>Writes PEFT adapter folders for tests.</summary>
public static class AdapterFolder
{
    public static string Write(string folder, LoraAdapterConfig config, params (string Key, long[] Shape, float[] Values)[] tensors)
    {
        Directory.CreateDirectory(folder);
        config.Save(Path.Combine(folder, LoraAdapterConfig.FileName));
        SafetensorsWriter.WriteAll(Path.Combine(folder, LoraAdapter.WeightsFileName),
            tensors.Select(t => (new TensorSpec(t.Key, TensorDType.F32, t.Shape), t.Values)).ToArray());
        return folder;
    }

    /// <summary>Deterministic small values: exact in float32, distinct per tensor via the offset.</summary>
    public static float[] Values(int count, int offset) => Enumerable.Range(0, count).Select(i => ((i * 7 + offset) % 13 - 6) / 4f).ToArray();

    public static LoraAdapterConfig Config(int rank = 2, double alpha = 8, bool rsLora = false, params string[] targets) =>
        new(rank, alpha, rsLora, targets.Length == 0 ? ["q_proj", "v_proj"] : targets, FanInFanOut: false);
}
