using System.Globalization;
using OrleansUws.ModelFormats;
using OrleansUws.Numerics.Backends;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Updates;

namespace OrleansUws.Subspace.Merging;

/// <summary>
/// Merges models layer by layer. Mean and task arithmetic keep LoRA layers factored (concatenated factors, exact);
/// TIES and DARE are element-wise and work on ΔW; the subspace merge averages coefficients and reconstructs, and is
/// compared with the mean merge: averaging is linear, so it is the projection of the mean merge onto the bases, and
/// it IS the mean merge when the bases are centred on exactly the merged models (every averaged coefficient is 0).
/// </summary>
public sealed class ModelMerger
{
    /// <summary>
    /// Distance ‖S − M̄‖_F, relative to the merged models' mean norm, under which the subspace merge S is reported as
    /// equal to the mean merge M̄ (float32 precision; relative to the models, not to M̄, which may be small).
    /// </summary>
    public const double EquivalenceTolerance = 1e-4;

    private readonly IBlasBackend _backend;
    private readonly SubspaceProjector _projector;

    /// <summary>Creates a merger computing with <paramref name="backend"/>.</summary>
    public ModelMerger(IBlasBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _backend = backend;
        _projector = new SubspaceProjector(backend);
    }

    /// <summary>Merges <paramref name="models"/> (at least two, same layers and shapes).</summary>
    /// <exception cref="ArgumentException">Bad options (every failure) or fewer than two models.</exception>
    /// <exception cref="ModelFormatException">A model's layers or shapes differ from the first's (named).</exception>
    /// <exception cref="KeyNotFoundException">Subspace: a basis the form needs is absent.</exception>
    public MergeResult Merge(IReadOnlyList<IModelReader> models, MergeOptions options)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (models.Count < 2)
        {
            throw new ArgumentException($"A merge needs at least two models; got {models.Count}.", nameof(models));
        }

        var first = models[0];
        foreach (var other in models.Skip(1))
        {
            first.Architecture.EnsureCompatible(other.Architecture, other.Path);
        }

        var modules = LayerUpdates.ModulePaths(first);
        var merged = new List<NamedUpdate>();
        var notes = new List<string>();
        double maxDistance = 0;
        bool allCentredAtZero = true;
        foreach (var layer in first.Layers)
        {
            var updates = models.Select(m => LayerUpdates.Read(m, layer.LayerId)).ToArray();
            var result = options.Method switch
            {
                MergeMethod.Mean => Combine(updates, 1.0 / updates.Length),
                MergeMethod.TaskArithmetic => Combine(updates, options.Lambda),
                MergeMethod.Ties => Elementwise(updates, (vectors, destination) => MergeKernels.Ties(vectors, options.Density, options.Lambda, destination)),
                MergeMethod.Dare => Elementwise(updates, (vectors, destination) => MergeKernels.Dare(vectors, options.DropRate, options.Seed, layer.LayerId, options.Lambda, destination)),
                MergeMethod.Subspace => SubspaceMerge(updates, layer.LayerId, options, ref maxDistance, ref allCentredAtZero),
                _ => throw new ArgumentOutOfRangeException(nameof(options), options.Method, "Unknown merge method."),
            };
            merged.Add(new NamedUpdate(layer.LayerId, modules[layer.LayerId], result));
        }

        SubspaceEquivalence? equivalence = null;
        if (options.Method == MergeMethod.Subspace)
        {
            bool equal = maxDistance <= EquivalenceTolerance;
            string distance = maxDistance.ToString("0.###e+0", CultureInfo.InvariantCulture);
            string reason = equal && allCentredAtZero
                ? $"the bases are centred on exactly these models' mean, so every averaged coefficient is 0 and the subspace merge is the recorded mean: it is the mean merge (relative distance {distance})"
                : equal
                    ? $"the mean of these models lies in the bases' span, so the subspace merge is the mean merge (relative distance {distance})"
                    : $"the subspace merge is the projection of the mean merge onto the bases; it differs from the mean merge by up to {distance} (relative) in a layer";
            equivalence = new SubspaceEquivalence(equal, maxDistance, reason);
            notes.Add(equal ? $"subspace merge ≡ mean merge: {reason}" : reason);
        }

        if (options.Method is MergeMethod.Ties or MergeMethod.Dare)
        {
            notes.Add($"{MergeMethods.Name(options.Method)} works element-wise on ΔW: its result is dense (written as a LoRA at its numerical rank unless a rank cap is given)");
        }

        return new MergeResult(merged, notes, equivalence);
    }

    private LayerUpdate Combine(IReadOnlyList<LayerUpdate> updates, double weight) =>
        UpdateAlgebra.LinearCombination(Enumerable.Repeat(weight, updates.Count).ToArray(), updates, _backend);

    private LayerUpdate Elementwise(IReadOnlyList<LayerUpdate> updates, Action<IReadOnlyList<float[]>, Span<float>> kernel)
    {
        var vectors = updates.Select(u => u.IsFactored ? UpdateAlgebra.ToDense(u, _backend) : u.DenseValues!).ToArray();
        var result = new float[vectors[0].Length];
        kernel(vectors, result);
        return LayerUpdate.Dense(updates[0].OutFeatures, updates[0].InFeatures, result);
    }

    private LayerUpdate SubspaceMerge(IReadOnlyList<LayerUpdate> updates, string layer, MergeOptions options, ref double maxDistance, ref bool allCentredAtZero)
    {
        var projection = LayerProjection.For(options.Form, options.Bases!, layer, options.K);
        var coefficients = updates.Select(u => _projector.Coefficients(u, projection)).ToArray();
        var average = new float[coefficients[0].Length];
        double norms = 0;
        foreach (var c in coefficients)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(average, c, average);
            norms += Math.Sqrt(UpdateAlgebra.Dot(c, c));
        }

        System.Numerics.Tensors.TensorPrimitives.Divide(average, coefficients.Length, average);
        var merged = _projector.Reconstruct(average, projection, updates[0].OutFeatures, updates[0].InFeatures);
        var mean = Combine(updates, 1.0 / updates.Count);
        double scale = updates.Average(u => Math.Sqrt(UpdateAlgebra.SquaredNorm(u, _backend)));
        double distance = scale > 0 ? UpdateAlgebra.Distance(mean, merged, _backend) / scale : 0;
        maxDistance = Math.Max(maxDistance, double.IsFinite(distance) ? distance : 0);
        double averageNorm = Math.Sqrt(UpdateAlgebra.Dot(average, average));
        allCentredAtZero &= projection.Centred && averageNorm <= EquivalenceTolerance * Math.Max(norms / coefficients.Length, double.Epsilon);
        return merged;
    }
}
