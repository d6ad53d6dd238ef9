using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Safetensors;
using OrleansUws.Subspace.Internal;

namespace OrleansUws.Subspace.Coefficients;

/// <summary>
/// The coefficient file format: a safetensors file with one float32 tensor per layer, named by the layer id, and a
/// <c>__metadata__</c> that makes it impossible to apply to the wrong basis silently: <c>format</c>
/// (<see cref="FormatName"/>), <c>format_version</c>, <c>fleet</c>, <c>model</c>, <c>form</c>, and <c>layers</c>, a JSON
/// array with, per layer, <c>layer</c>, <c>module</c>, <c>out_features</c>, <c>in_features</c>, <c>centred</c> and
/// <c>bases</c> (each <c>{mode, version, k}</c>).
/// </summary>
public static class CoefficientFile
{
    /// <summary>The <c>format</c> metadata value.</summary>
    public const string FormatName = "orleans-uws-coefficients";

    /// <summary>The <c>format_version</c> this library writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>The conventional file name of a model's coefficients: <c>{model}.coefficients.safetensors</c>.</summary>
    public static string FileName(string model) => $"{model}.coefficients.safetensors";

    /// <summary>Writes <paramref name="coefficients"/> to <paramref name="path"/> (replacing it; the folder is created).</summary>
    /// <returns>The file's size in bytes.</returns>
    /// <exception cref="ArgumentException">A layer's values do not match its shape, or two layers share an id.</exception>
    public static long Write(string path, ModelCoefficients coefficients)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(coefficients);
        var layers = new JsonArray();
        var tensors = new List<(TensorSpec, float[])>();
        foreach (var layer in coefficients.Layers)
        {
            long count = layer.Shape.Aggregate(1L, (p, s) => p * s);
            if (layer.Values.Length != count || layer.Form != coefficients.Form)
            {
                throw new ArgumentException($"Layer '{layer.Layer}' has {layer.Values.Length} {CoefficientForms.Name(layer.Form)} values for shape [{string.Join(", ", layer.Shape)}] in a {CoefficientForms.Name(coefficients.Form)} file.", nameof(coefficients));
            }

            tensors.Add((new TensorSpec(layer.Layer, TensorDType.F32, layer.Shape.Select(s => (long)s).ToArray()), layer.Values));
            layers.Add(new JsonObject
            {
                ["layer"] = layer.Layer,
                ["module"] = layer.ModulePath,
                ["out_features"] = layer.OutFeatures,
                ["in_features"] = layer.InFeatures,
                ["centred"] = layer.Centred,
                ["bases"] = new JsonArray([.. layer.Bases.Select(b => (JsonNode)new JsonObject
                {
                    ["mode"] = BasisModes.Name(b.Mode),
                    ["version"] = b.Version,
                    ["k"] = b.K,
                })]),
            });
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = FormatName,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["fleet"] = coefficients.Fleet,
            ["model"] = coefficients.Model,
            ["form"] = CoefficientForms.Name(coefficients.Form),
            ["layers"] = layers.ToJsonString(),
        };
        SubspaceFiles.CreateFolderOf(path);

        SafetensorsWriter.WriteAll(path, tensors, metadata);
        return new FileInfo(path).Length;
    }

    /// <summary>Reads a coefficient file.</summary>
    /// <exception cref="SubspaceFormatException">
    /// Not a safetensors file, not a coefficient file, an unknown format version or form, a malformed <c>layers</c>
    /// entry, or a tensor that is missing or of the wrong shape; the message names the file and the field or layer.
    /// </exception>
    public static ModelCoefficients Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using (var file = SubspaceFiles.Open(path, "coefficient file"))
        {
            var meta = new MetadataReader(path, file.Metadata);
            if (meta.Optional("format") != FormatName)
            {
                throw new SubspaceFormatException(path, "format", meta.Optional("format") is { } other
                    ? $"is '{other}'; a coefficient file has '{FormatName}'"
                    : $"metadata field is missing; this is not a coefficient file ({FormatName})");
            }

            int version = meta.Int("format_version");
            if (version != FormatVersion)
            {
                throw new SubspaceFormatException(path, "format_version", $"is {version}; this version reads {FormatVersion}");
            }

            var formText = meta.Required("form");
            if (!CoefficientForms.TryParse(formText, out var form))
            {
                throw new SubspaceFormatException(path, "form", $"is '{formText}'; expected one of {string.Join(", ", CoefficientForms.Names)}");
            }

            JsonArray entries;
            try
            {
                entries = JsonNode.Parse(meta.Required("layers")) as JsonArray
                    ?? throw new SubspaceFormatException(path, "layers", "is not a JSON array");
            }
            catch (JsonException e)
            {
                throw new SubspaceFormatException(path, "layers", $"is not valid JSON: {e.Message}", e);
            }

            var layers = new List<LayerCoefficients>(entries.Count);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                var layer = ReadLayer(file, path, entry, form);
                if (!seen.Add(layer.Layer))
                {
                    throw new SubspaceFormatException(path, layer.Layer, "layer is listed twice in 'layers'");
                }

                layers.Add(layer);
            }

            return new ModelCoefficients(meta.Required("fleet"), meta.Required("model"), form, layers);
        }
    }

    private static LayerCoefficients ReadLayer(SafetensorsFile file, string path, JsonNode? entry, CoefficientForm form)
    {
        if (entry is not JsonObject o)
        {
            throw new SubspaceFormatException(path, "layers", "holds an entry that is not a JSON object");
        }

        string id = Field<string>(o, "layer", path, "layers");
        string module = Field<string>(o, "module", path, id);
        int m = Field<int>(o, "out_features", path, id);
        int n = Field<int>(o, "in_features", path, id);
        bool centred = Field<bool>(o, "centred", path, id);
        if (m < 1 || n < 1)
        {
            throw new SubspaceFormatException(path, id, $"layer shape {m}×{n} is not positive");
        }

        if (o["bases"] is not JsonArray basesNode)
        {
            throw new SubspaceFormatException(path, id, "field 'bases' is missing or not an array");
        }

        var bases = new List<BasisReference>();
        foreach (var b in basesNode)
        {
            if (b is not JsonObject bo)
            {
                throw new SubspaceFormatException(path, id, "field 'bases' holds an entry that is not an object");
            }

            var modeText = Field<string>(bo, "mode", path, id);
            if (!BasisModes.TryParse(modeText, out var mode))
            {
                throw new SubspaceFormatException(path, id, $"basis mode '{modeText}' is not rows, columns or flattened");
            }

            int k = Field<int>(bo, "k", path, id);
            if (k < 1)
            {
                throw new SubspaceFormatException(path, id, $"the {modeText} basis has k = {k}; it must be at least 1");
            }

            bases.Add(new BasisReference(mode, Field<int>(bo, "version", path, id), k));
        }

        var modes = CoefficientForms.RequiredModes(form);
        if (!bases.Select(b => b.Mode).SequenceEqual(modes))
        {
            throw new SubspaceFormatException(path, id,
                $"names bases [{string.Join(", ", bases.Select(b => BasisModes.Name(b.Mode)))}]; the {CoefficientForms.Name(form)} form needs [{string.Join(", ", modes.Select(BasisModes.Name))}]");
        }

        int[] shape = form switch
        {
            CoefficientForm.Rows => [m, bases[0].K],
            CoefficientForm.Columns => [bases[0].K, n],
            CoefficientForm.TwoSided => [bases[0].K, bases[1].K],
            _ => [bases[0].K],
        };
        if (!file.TryGetTensor(id, out var tensor))
        {
            throw new SubspaceFormatException(path, id, "the layer's coefficient tensor is missing");
        }

        if (!tensor.Shape.SequenceEqual(shape.Select(s => (long)s)))
        {
            throw new SubspaceFormatException(path, id,
                $"coefficient tensor has shape {tensor.ShapeText}; {CoefficientForms.Name(form)} coefficients of a {m}×{n} layer with k = {string.Join("/", bases.Select(b => b.K))} have [{string.Join(", ", shape)}]");
        }

        var values = new float[tensor.ElementCount];
        SubspaceFiles.ReadChecked(file, path, id, values);

        return new LayerCoefficients(id, module, form, m, n, centred, bases, shape, values);
    }

    private static T Field<T>(JsonObject o, string name, string path, string owner)
    {
        try
        {
            return o[name] is JsonValue v && v.TryGetValue(out T? value) && value is not null
                ? value
                : throw new SubspaceFormatException(path, owner, $"field '{name}' is missing or not a {typeof(T).Name.ToLowerInvariant()}");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException and not SubspaceFormatException)
        {
            throw new SubspaceFormatException(path, owner, $"field '{name}' has the wrong type", e);
        }
    }
}
