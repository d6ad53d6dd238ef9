using System.Text;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Peft;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.Cluster.Tests.Admission;

/// <summary>
/// A fleet folder of good adapters mixed with broken ones, each broken one a defective copy of a good "original" that
/// <see cref="Fix"/> puts back: truncated, bad header, bad dtype, NaN in the last layer, +Inf in the first, values that
/// overflow a Gram, a wrong shape sorting first, huge-but-finite values (an outlier), a folder without
/// adapter_config.json; plus a folder named like a .safetensors file (not a model at all).
/// </summary>
internal sealed class BrokenCorpus
{
    public const int GoodCount = 16;

    private BrokenCorpus(string folder, string goodFolder, string allFolder, FleetSpec spec, IReadOnlyDictionary<string, string> originals)
    {
        Folder = folder;
        GoodFolder = goodFolder;
        AllFolder = allFolder;
        Spec = spec;
        Originals = originals;
    }

    /// <summary>The corpus: good and broken models side by side.</summary>
    public string Folder { get; }

    /// <summary>The good models alone (same ids).</summary>
    public string GoodFolder { get; }

    /// <summary>The good models and every broken one's original (same ids): what the corpus is once fixed.</summary>
    public string AllFolder { get; }

    public FleetSpec Spec { get; }

    /// <summary>Broken model id → its original's folder.</summary>
    public IReadOnlyDictionary<string, string> Originals { get; }

    public IEnumerable<string> BrokenIds => Originals.Keys.Order(StringComparer.Ordinal);

    /// <summary>The layer ids, ordinal order.</summary>
    public string[] LayerIds => Spec.Layers.Select(l => l.LayerId).Order(StringComparer.Ordinal).ToArray();

    public static BrokenCorpus Create(string root, ulong seed)
    {
        var spec = FleetPresets.Create(FleetPresets.Tiny, GoodCount + 9, layerCount: 1) with { Seed = seed };
        var source = Path.Combine(root, "generated");
        new FleetGenerator(spec).Generate(source);
        var models = ModelReader.EnumerateModels(source);
        var folder = Path.Combine(root, "corpus");
        var goodFolder = Path.Combine(root, "good");
        var allFolder = Path.Combine(root, "all");
        foreach (var model in models.Take(GoodCount))
        {
            CopyFolder(model, Path.Combine(folder, Path.GetFileName(model)));
            CopyFolder(model, Path.Combine(goodFolder, Path.GetFileName(model)));
            CopyFolder(model, Path.Combine(allFolder, Path.GetFileName(model)));
        }

        var layers = spec.Layers.Select(l => l.LayerId).Order(StringComparer.Ordinal).ToArray();
        var wide = spec.Layers[0] with { InFeatures = spec.Layers[0].InFeatures + 8 };
        var wrongSource = Path.Combine(root, "wrong");
        new FleetGenerator(spec with { ModelCount = 1, Layers = [wide, .. spec.Layers.Skip(1)] }).Generate(wrongSource);

        var originals = new Dictionary<string, string>(StringComparer.Ordinal);
        var broken = new (string Id, Action<string> Break)[]
        {
            ("aaa-wrong-shape", d => { Directory.Delete(d, true); CopyFolder(ModelReader.EnumerateModels(wrongSource)[0], d); }),
            ("bad-truncated", d => Truncate(Tensors(d))),
            ("bad-header", d => CorruptHeader(Tensors(d))),
            ("bad-dtype", d => { Rewrite(d, (_, _, _) => { }); PatchDtype(Tensors(d)); }),
            ("bad-nan-last-layer", d => Rewrite(d, (layer, factor, v) => { if (layer == layers[^1] && factor == LoraFactor.B) { v[3] = float.NaN; } })),
            ("bad-inf-first-layer", d => Rewrite(d, (layer, factor, v) => { if (layer == layers[0] && factor == LoraFactor.A) { v[0] = float.PositiveInfinity; } })),
            ("bad-overflow", d => Rewrite(d, (layer, factor, v) => { if (layer == layers[^1]) { Scale(v, 1e18f); } })),
            ("no-config", d => File.Delete(Path.Combine(d, LoraAdapterConfig.FileName))),
            ("zz-huge-outlier", d => Rewrite(d, (layer, factor, v) => { if (layer == layers[^1] && factor == LoraFactor.B) { Scale(v, 1e4f); } })),
        };
        for (var i = 0; i < broken.Length; i++)
        {
            var (id, breakIt) = broken[i];
            var original = models[GoodCount + i];
            originals[id] = original;
            CopyFolder(original, Path.Combine(allFolder, id));
            var destination = Path.Combine(folder, id);
            CopyFolder(original, destination);
            breakIt(destination);
        }

        Directory.CreateDirectory(Path.Combine(folder, "not-a-model.safetensors"));
        return new BrokenCorpus(folder, goodFolder, allFolder, spec, originals);
    }

    /// <summary>Puts every broken model's original back in its place (same id, new files).</summary>
    public void Fix()
    {
        foreach (var (id, original) in Originals)
        {
            var destination = Path.Combine(Folder, id);
            Directory.Delete(destination, recursive: true);
            CopyFolder(original, destination);
        }
    }

    private static string Tensors(string folder) => Path.Combine(folder, "adapter_model.safetensors");

    private static void CopyFolder(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)), overwrite: true);
        }
    }

    /// <summary>Rewrites the adapter's tensors as F32, letting <paramref name="mutate"/> change each (layer, factor, values).</summary>
    private static void Rewrite(string folder, Action<string, LoraFactor, float[]> mutate)
    {
        var path = Tensors(folder);
        (TensorSpec, float[])[] tensors;
        using (var file = SafetensorsFile.Open(path))
        {
            tensors = file.Tensors.Select(t =>
            {
                var values = new float[t.ElementCount];
                file.ReadTensor(t.Name, values);
                if (PeftKeys.TryParseLoraKey(t.Name, out _, out var layer, out var factor))
                {
                    mutate(layer, factor, values);
                }

                return (new TensorSpec(t.Name, TensorDType.F32, t.Shape), values);
            }).ToArray();
        }

        SafetensorsWriter.WriteAll(path, tensors);
    }

    private static void Scale(float[] values, float factor)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] *= factor;
        }
    }

    private static void Truncate(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        stream.SetLength(stream.Length / 2);
    }

    private static void CorruptHeader(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.Write(BitConverter.GetBytes(long.MaxValue / 3));
    }

    /// <summary>Declares every F32 tensor as I32 (same width, so only the dtype is wrong).</summary>
    private static void PatchDtype(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToInt64(bytes, 0);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength).Replace("\"F32\"", "\"I32\"", StringComparison.Ordinal);
        Encoding.UTF8.GetBytes(header).CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
    }
}
