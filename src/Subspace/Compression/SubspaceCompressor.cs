using OrleansUws.ModelFormats;
using OrleansUws.Numerics.Backends;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Updates;

namespace OrleansUws.Subspace.Compression;

/// <summary>
/// Compresses models to coefficient files against a <see cref="BasisSet"/> and reports, per layer, the reconstruction
/// error beside the mean-only baseline, and the bytes against what the models really cost to store.
/// </summary>
public sealed class SubspaceCompressor
{
    private readonly IBlasBackend _backend;
    private readonly SubspaceProjector _projector;

    /// <summary>Creates a compressor computing with <paramref name="backend"/>.</summary>
    public SubspaceCompressor(IBlasBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        _backend = backend;
        _projector = new SubspaceProjector(backend);
    }

    /// <summary>The name a model is reported and its coefficient file written under: its file or folder name without <c>.safetensors</c>.</summary>
    public static string ModelName(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelPath)));
        return name.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? name[..^".safetensors".Length] : name;
    }

    /// <summary>The layers of <paramref name="model"/> compressed under <paramref name="options"/>.</summary>
    /// <exception cref="KeyNotFoundException">A requested layer is not in the model, or no layer has the bases the form needs.</exception>
    public static IReadOnlyList<string> LayersToCompress(IModelReader model, BasisSet bases, CompressOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(bases);
        ArgumentNullException.ThrowIfNull(options);
        var present = model.Layers.Select(l => l.LayerId).ToHashSet(StringComparer.Ordinal);
        if (options.Layers is { } requested)
        {
            if (requested.FirstOrDefault(l => !present.Contains(l)) is { } missing)
            {
                throw new KeyNotFoundException($"{model.Path}: layer '{missing}' is not in the model.");
            }

            return requested;
        }

        var layers = bases.LayersWith(CoefficientForms.RequiredModes(options.Form)).Where(present.Contains).ToArray();
        return layers.Length > 0
            ? layers
            : throw new KeyNotFoundException(
                $"{model.Path}: no layer has the {string.Join(" and ", CoefficientForms.RequiredModes(options.Form).Select(BasisModes.Name))} bases the {CoefficientForms.Name(options.Form)} form needs in {bases.Source}" +
                $" (it holds {string.Join(" and ", bases.Modes.Select(BasisModes.Name))} bases{(bases.Modes.Any(m => bases.LayersWith([m]).Any(present.Contains)) ? string.Empty : ", none of this model's layers")}).");
    }

    /// <summary>The coefficients of one model.</summary>
    /// <exception cref="KeyNotFoundException">A basis the form needs is absent.</exception>
    public ModelCoefficients CompressModel(IModelReader model, string modelName, BasisSet bases, CompressOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        var modules = LayerUpdates.ModulePaths(model);
        var layers = LayersToCompress(model, bases, options)
            .Select(layer => Compress(LayerUpdates.Read(model, layer), layer, modules[layer], LayerProjection.For(options.Form, bases, layer, options.K)))
            .ToArray();
        return new ModelCoefficients(bases.Fleet ?? string.Empty, modelName, options.Form, layers);
    }

    /// <summary>The coefficients of one layer's update.</summary>
    public LayerCoefficients Compress(LayerUpdate update, string layer, string modulePath, LayerProjection projection)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(projection);
        var values = _projector.Coefficients(update, projection);
        var references = projection.Bases.Select(b => new BasisReference(b.Basis.Header.Mode, b.Basis.Header.Version, b.K)).ToArray();
        return new LayerCoefficients(layer, modulePath, projection.Form, update.OutFeatures, update.InFeatures, projection.Centred, references,
            SubspaceProjector.CoefficientShape(projection, update.OutFeatures, update.InFeatures), values);
    }

    /// <summary>
    /// Compresses every model of <paramref name="modelPaths"/>, writes <c>{model}.coefficients.safetensors</c> into
    /// <paramref name="outputFolder"/> when given, and reports. The mean-only baseline of a layer is the flattened
    /// basis's recorded mean when there is one, else the mean of the models compressed together (none for one model).
    /// </summary>
    /// <exception cref="ModelFormatException">A model is defective.</exception>
    /// <exception cref="ArgumentException">The models do not share the layers compressed.</exception>
    public CompressionRun Compress(IReadOnlyList<string> modelPaths, BasisSet bases, CompressOptions options, string? outputFolder = null)
    {
        ArgumentNullException.ThrowIfNull(modelPaths);
        ArgumentNullException.ThrowIfNull(bases);
        ArgumentNullException.ThrowIfNull(options);
        if (modelPaths.Count == 0)
        {
            throw new ArgumentException("No models to compress.", nameof(modelPaths));
        }

        var readers = new List<IModelReader>();
        try
        {
            foreach (var path in modelPaths)
            {
                readers.Add(ModelReader.Open(path));
            }

            return Compress(readers, bases, options, outputFolder);
        }
        finally
        {
            foreach (var reader in readers)
            {
                reader.Dispose();
            }
        }
    }

    private CompressionRun Compress(IReadOnlyList<IModelReader> models, BasisSet bases, CompressOptions options, string? outputFolder)
    {
        int count = models.Count;
        var layers = LayersToCompress(models[0], bases, options);
        var names = models.Select(m => ModelName(m.Path)).ToArray();
        if (names.Distinct(StringComparer.Ordinal).Count() != count)
        {
            throw new ArgumentException($"Two models have the same name ({string.Join(", ", names.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key))}); their coefficient files would collide.", nameof(models));
        }

        var modules = models.Select(LayerUpdates.ModulePaths).ToArray();
        var storage = models.Select(m => ModelStorage.Measure(m.Path)).ToArray();
        var perModel = Enumerable.Range(0, count).Select(_ => new List<LayerCoefficients>()).ToArray();
        var reports = Enumerable.Range(0, count).Select(_ => new List<LayerCompressionReport>()).ToArray();
        long basisBytes = 0;
        foreach (var layer in layers)
        {
            var projection = LayerProjection.For(options.Form, bases, layer, options.K);
            basisBytes += projection.Bases.Sum(b => ((long)b.K * b.Basis.Dimension * sizeof(float)) + (b.Basis.Header.Centred ? (long)b.Basis.Dimension * sizeof(float) : 0));
            var updates = models.Select(m => LayerUpdates.Read(m, layer)).ToArray();
            var mean = MeanOf(layer, bases, updates);
            double meanNorm = mean is null ? 0 : UpdateAlgebra.SquaredNorm(mean, _backend); // once per layer: the mean of N LoRAs has rank N·r
            for (int t = 0; t < count; t++)
            {
                var coefficients = Compress(updates[t], layer, modules[t][layer], projection);
                perModel[t].Add(coefficients);
                var reconstruction = _projector.Reconstruct(coefficients.Values, projection, updates[t].OutFeatures, updates[t].InFeatures);
                double error = UpdateAlgebra.RelativeError(updates[t], reconstruction, _backend);
                double? baseline = mean is null ? null : BaselineError(updates[t], mean, meanNorm);
                long input = storage[t].LayerBytes.TryGetValue(layer, out var bytes) ? bytes : updates[t].StoredElements * sizeof(float);
                reports[t].Add(new LayerCompressionReport(layer, error, baseline, input, coefficients.StoredBytes));
            }
        }

        var results = new List<ModelCoefficients>(count);
        var modelReports = new List<ModelCompressionReport>(count);
        for (int t = 0; t < count; t++)
        {
            var coefficients = new ModelCoefficients(bases.Fleet ?? string.Empty, names[t], options.Form, perModel[t]);
            results.Add(coefficients);
            long analysedInput = reports[t].Sum(r => r.InputBytes);
            long analysedCoefficients = reports[t].Sum(r => r.CoefficientBytes);
            string? path = null;
            long fileBytes = analysedCoefficients;
            if (outputFolder is not null)
            {
                path = Path.Combine(outputFolder, CoefficientFile.FileName(names[t]));
                fileBytes = CoefficientFile.Write(path, coefficients);
            }

            long unanalysed = Math.Max(0, storage[t].LayerBytes.Where(p => !layers.Contains(p.Key)).Sum(p => p.Value));
            modelReports.Add(new ModelCompressionReport(names[t], path, reports[t], analysedInput, analysedCoefficients, storage[t].WholeBytes, fileBytes + unanalysed));
        }

        var fleet = new FleetCompressionReport(
            count,
            basisBytes,
            modelReports.Sum(r => r.AnalysedInputBytes),
            modelReports.Sum(r => r.AnalysedCoefficientBytes),
            modelReports.Sum(r => r.WholeInputBytes),
            modelReports.Sum(r => r.WholeCoefficientBytes));
        return new CompressionRun(results, modelReports, fleet);
    }

    // ‖ΔW − μ‖/‖ΔW‖ with ‖μ‖² computed once per layer.
    private double BaselineError(LayerUpdate update, LayerUpdate mean, double meanSquaredNorm)
    {
        double norm = UpdateAlgebra.SquaredNorm(update, _backend);
        double squared = norm - (2 * UpdateAlgebra.Inner(update, mean, _backend)) + meanSquaredNorm;
        return norm > 0 ? Math.Sqrt(Math.Max(0, squared) / norm) : 0;
    }

    private LayerUpdate? MeanOf(string layer, BasisSet bases, IReadOnlyList<LayerUpdate> updates)
    {
        var first = updates[0];
        if (bases.Find(layer, BasisMode.Flattened) is { Mean: { } mean } flat && flat.Dimension == (long)first.OutFeatures * first.InFeatures)
        {
            return LayerUpdate.Dense(first.OutFeatures, first.InFeatures, mean);
        }

        return updates.Count < 2
            ? null
            : UpdateAlgebra.LinearCombination(Enumerable.Repeat(1.0 / updates.Count, updates.Count).ToArray(), updates, _backend);
    }
}
