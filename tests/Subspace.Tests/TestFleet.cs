using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.Numerics.Backends;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Fitting;
using OrleansUws.Subspace.Updates;

namespace OrleansUws.Subspace.Tests;

/// <summary>A generated fleet in a temporary folder, with exact bases fitted on it; deleted on dispose.</summary>
internal sealed class TestFleet : IDisposable
{
    public const string FleetName = "test-fleet";

    private TestFleet(string root, FleetSpec spec)
    {
        Root = root;
        Spec = spec;
        Folder = System.IO.Path.Combine(root, "fleet");
        new FleetGenerator(spec with { MaxDegreeOfParallelism = 1 }).Generate(Folder);
        Models = ModelReader.EnumerateModels(Folder);
    }

    public static IBlasBackend Backend { get; } = new ManagedBlasBackend();

    public string Root { get; }

    public FleetSpec Spec { get; }

    public string Folder { get; }

    public IReadOnlyList<string> Models { get; }

    public IReadOnlyList<string> LayerIds => Spec.Layers.Select(l => l.LayerId).ToArray();

    /// <summary>The tiny LoRA preset (one block: q_proj 48×32, v_proj 24×32, r = 4, k = 3), bf16.</summary>
    public static TestFleet TinyLora(int models, ulong seed = 7, FleetStructure structure = FleetStructure.Planted, double? noise = null)
    {
        var spec = FleetPresets.Create(FleetPresets.Tiny, models, 1) with { Seed = seed, Structure = structure };
        return Create(noise is { } n ? spec with { NoiseLevel = n } : spec);
    }

    /// <summary>The tiny dense preset (one block: attn 32×32, fc1 64×32, fc2 32×64, k = 3), f32.</summary>
    public static TestFleet TinyDense(int models, ulong seed = 7) =>
        Create(FleetPresets.Create(FleetPresets.TinyDense, models, 1) with { Seed = seed });

    public static TestFleet Create(FleetSpec spec) =>
        new(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "uws-subspace-tests", Guid.NewGuid().ToString("N")), spec);

    public string Combine(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Every model's update of <paramref name="layer"/>, in model order.</summary>
    public IReadOnlyList<LayerUpdate> Updates(string layer, IEnumerable<string>? models = null) =>
        (models ?? Models).Select(path =>
        {
            using var reader = ModelReader.Open(path);
            return LayerUpdates.Read(reader, layer);
        }).ToArray();

    /// <summary>Fits exact bases of every layer in each of <paramref name="modes"/> on <paramref name="models"/> (all by default).</summary>
    public BasisSet Fit(int k, bool centred, IEnumerable<string>? models = null, int version = 1, params BasisMode[] modes)
    {
        var fitter = new ExactBasisFitter(Backend);
        var chosen = (models ?? Models).ToArray();
        var bases = LayerIds.SelectMany(layer => modes.Select(mode => fitter.Fit(FleetName, layer, Updates(layer, chosen), mode, centred, k, version)));
        return new BasisSet(bases.ToArray());
    }

    /// <summary>Writes <paramref name="bases"/> as basis files into a new folder and returns it.</summary>
    public string WriteBases(BasisSet bases, string name = "bases")
    {
        var folder = Combine(name);
        foreach (var basis in bases.All)
        {
            BasisFile.Write(System.IO.Path.Combine(folder, BasisFile.FileName(basis.Header.Layer, basis.Header.Mode)), basis);
        }

        return folder;
    }

    public void Dispose()
    {
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
