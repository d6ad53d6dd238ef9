using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.Cluster.Tests;

/// <summary>A planted fleet written by the model-formats generator, with its ground truth and exact references.</summary>
internal sealed class GeneratedFleet
{
    private GeneratedFleet(string folder, FleetSpec spec, IReadOnlyList<string> modelPaths)
    {
        Folder = folder;
        Spec = spec;
        ModelPaths = modelPaths;
    }

    public string Folder { get; }

    public FleetSpec Spec { get; }

    public IReadOnlyList<string> ModelPaths { get; }

    public int Count => ModelPaths.Count;

    public static GeneratedFleet Generate(string root, string name, FleetSpec spec)
    {
        var folder = Path.Combine(root, name);
        new FleetGenerator(spec).Generate(folder);
        return new GeneratedFleet(folder, spec, ModelReader.EnumerateModels(folder));
    }

    /// <summary>The reference of model <paramref name="index"/>; ids are the folder names, so they are stable across fleets.</summary>
    public ModelReference Model(int index) => new(Path.GetFileName(ModelPaths[index].TrimEnd(Path.DirectorySeparatorChar)), ModelPaths[index]);

    public IEnumerable<ModelReference> Models(int start, int count) => Enumerable.Range(start, count).Select(Model);

    /// <summary>The planted basis (k×d rows, float64) of a layer for a mode.</summary>
    public double[] PlantedBasis(string layer, SketchMode mode)
    {
        using var truth = SafetensorsFile.Open(Path.Combine(Folder, "ground-truth.safetensors"));
        var name = $"{layer}.{(mode == SketchMode.Rows ? "rows" : "columns")}_basis";
        var values = new float[truth.GetTensor(name).ElementCount];
        truth.ReadTensor(name, values);
        return Array.ConvertAll(values, v => (double)v);
    }

    /// <summary>
    /// The top-<paramref name="k"/> eigenvectors (k×d) of the exact covariance of models [0, count) for a mode,
    /// from the dense ΔW of every model (rows: Σ ΔWᵀΔW; columns: Σ ΔW ΔWᵀ), in double precision.
    /// </summary>
    public double[] ExactBasis(string layer, SketchMode mode, int count, int k)
    {
        var spec = Spec.Layers.Single(l => l.LayerId == layer);
        int m = spec.OutFeatures, n = spec.InFeatures;
        var d = mode == SketchMode.Rows ? n : m;
        var gram = new double[d * d];
        var w = new float[m * n];
        var wt = new double[n * m];
        for (var i = 0; i < count; i++)
        {
            using var reader = ModelReader.Open(ModelPaths[i]);
            reader.ReadRows(layer, 0, m, w);
            if (mode == SketchMode.Rows)
            {
                Reference.AddGram(Array.ConvertAll(w, v => (double)v), m, n, gram);
            }
            else
            {
                for (var r = 0; r < m; r++)
                {
                    for (var c = 0; c < n; c++)
                    {
                        wt[(c * m) + r] = w[(r * n) + c];
                    }
                }

                Reference.AddGram(wt, n, m, gram);
            }
        }

        var (_, vectors) = Reference.SymmetricEigen(gram, d);
        return vectors.AsSpan(0, k * d).ToArray();
    }
}
