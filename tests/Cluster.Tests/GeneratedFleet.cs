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
    /// The top-<paramref name="k"/> eigenvectors (k×d) of the exact covariance of models [0, count) for a mode, from
    /// the dense ΔW of every model (rows: the rows of every ΔW are the samples, Σ ΔWᵀΔW; columns: its columns,
    /// Σ ΔW ΔWᵀ), in double precision; centred about the mean sample when <paramref name="centred"/>. Also returns
    /// that mean sample (length d) and the top-k eigenvalues, descending.
    /// </summary>
    public (double[] Basis, double[] Mean, double[] Eigenvalues) ExactBasis(string layer, SketchMode mode, int count, int k, bool centred = false)
    {
        var spec = Spec.Layers.Single(l => l.LayerId == layer);
        int m = spec.OutFeatures, n = spec.InFeatures;
        var (samples, d) = mode == SketchMode.Rows ? (m, n) : (n, m);
        var gram = new double[d * d];
        var mean = new double[d];
        var w = new float[m * n];
        var x = new double[samples * d];
        for (var i = 0; i < count; i++)
        {
            using var reader = ModelReader.Open(ModelPaths[i]);
            reader.ReadRows(layer, 0, m, w);
            for (var r = 0; r < m; r++)
            {
                for (var c = 0; c < n; c++)
                {
                    x[mode == SketchMode.Rows ? (r * n) + c : (c * m) + r] = w[(r * n) + c];
                }
            }

            Reference.AddGram(x, samples, d, gram);
            for (var j = 0; j < x.Length; j++)
            {
                mean[j % d] += x[j];
            }
        }

        var total = (double)samples * count;
        for (var j = 0; j < d; j++)
        {
            mean[j] /= total;
        }

        if (centred)
        {
            for (var i = 0; i < d; i++)
            {
                for (var j = 0; j < d; j++)
                {
                    gram[(i * d) + j] -= total * mean[i] * mean[j];
                }
            }
        }

        var (values, vectors) = Reference.SymmetricEigen(gram, d);
        return (vectors.AsSpan(0, k * d).ToArray(), mean, values[..k]);
    }
}
