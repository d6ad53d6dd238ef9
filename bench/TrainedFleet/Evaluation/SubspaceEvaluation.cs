using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Peft;
using OrleansUws.Numerics.Backends;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Compression;
using OrleansUws.Subspace.Diagnostics;
using OrleansUws.Subspace.Fitting;
using OrleansUws.Subspace.Reconstruction;
using OrleansUws.Subspace.Updates;
using OrleansUws.TrainedFleet.Data;
using OrleansUws.TrainedFleet.Fleet;
using OrleansUws.TrainedFleet.Training;

namespace OrleansUws.TrainedFleet.Evaluation;

/// <summary>
/// Fits per-layer bases on the in-sample adapters (exact Gram; rows and columns uncentred — the base model is the
/// origin — and flattened centred, the paper's "mean + eigen-models"), then for every adapter, form and k: compresses
/// the adapter file to a coefficient file and reconstructs it with the Subspace library (the code <c>uws compress</c> /
/// <c>uws reconstruct</c> run), and measures the task accuracy of base + ΔŴ. Also the base, the adapter itself
/// (read back from its PEFT file) and the mean of the in-sample adapters.
/// </summary>
/// <param name="blas">The backend.</param>
/// <param name="ks">The k values.</param>
public sealed class SubspaceEvaluation(IBlasBackend blas, IReadOnlyList<int> ks)
{
    /// <summary>Fleet name recorded in the bases and coefficient files.</summary>
    public const string FleetName = "digits-lora";

    /// <summary>Folder of the fitted bases inside the output.</summary>
    public const string BasesFolder = "bases";

    /// <summary>Folder of the coefficient files inside the output.</summary>
    public const string CoefficientsFolder = "coefficients";

    /// <summary>Folder of the reconstructed PEFT adapters (headline k, held-out) inside the output.</summary>
    public const string ReconstructedFolder = "reconstructed";

    private static readonly CoefficientForm[] Forms = [CoefficientForm.Rows, CoefficientForm.Columns, CoefficientForm.TwoSided, CoefficientForm.Flattened];

    private readonly Trainer _trainer = new(blas);

    /// <summary>Runs the evaluation and writes bases, coefficient files and reconstructed adapters under <paramref name="output"/>.</summary>
    public EvaluationResult Run(Mlp model, IReadOnlyList<TrainedAdapter> adapters, LabeledImages test, string output, TextWriter console)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(console);
        string[] layerIds = [.. model.Layers.Select(l => PeftKeys.DenseLayerId(l.Name))];
        LabeledImages[] tasks = [.. adapters.Select(a => a.Task.Apply(test))];
        int kMax = ks.Max();
        int headlineK = ks.Contains(8) ? 8 : ks[ks.Count / 2];

        // The adapters as the pipeline reads them: through the PEFT reader, LoRA kept factored.
        var updates = new LayerUpdate[adapters.Count][];
        for (int i = 0; i < adapters.Count; i++)
        {
            using IModelReader reader = ModelReader.Open(adapters[i].Folder);
            updates[i] = [.. layerIds.Select(id => LayerUpdates.Read(reader, id))];
        }

        int[] inSample = [.. Enumerable.Range(0, adapters.Count).Where(i => adapters[i].InSample)];
        int[] heldOut = [.. Enumerable.Range(0, adapters.Count).Where(i => !adapters[i].InSample)];

        // Bases: exact Gram per layer and mode on the in-sample adapters, written and loaded back as the CLI would.
        string basesFolder = Path.Combine(output, BasesFolder);
        Directory.CreateDirectory(basesFolder);
        var fitter = new ExactBasisFitter(blas);
        foreach ((string layer, int l) in layerIds.Select((id, l) => (id, l)))
        {
            LayerUpdate[] fleet = [.. inSample.Select(i => updates[i][l])];
            foreach ((BasisMode mode, bool centred) in new[] { (BasisMode.Rows, false), (BasisMode.Columns, false), (BasisMode.Flattened, true) })
            {
                int dimension = Dimension(mode, fleet[0]);
                LayerBasisFile basis = fitter.Fit(FleetName, layer, fleet, mode, centred, Math.Min(kMax, Math.Min(dimension, fleet.Length * (mode == BasisMode.Flattened ? 1 : fleet[0].Rank))));
                BasisFile.Write(Path.Combine(basesFolder, BasisFile.FileName(layer, mode)), basis);
            }
        }

        BasisSet bases = BasisSet.Load(basesFolder);
        console.WriteLine($"bases: {bases.All.Count} files (rows, columns uncentred; flattened centred) fitted on {inSample.Length} in-sample adapters, k ≤ {kMax}");

        float[][][] original = [.. updates.Select(Dense)];
        var methods = new List<MethodScores>
        {
            new("base", null, [.. tasks.Select(t => _trainer.Accuracy(model, t))], null, 0, 0, 0),
            new("adapter", null, [.. adapters.Select((a, i) => _trainer.Accuracy(model.Plus(original[i]), tasks[i]))], null,
                LoraBytes(updates[0]), new FileInfo(Path.Combine(adapters[0].Folder, LoraAdapter.WeightsFileName)).Length, 0),
        };

        // The mean adapter: the average of the in-sample ΔW (dense), given to every task.
        float[][] mean = [.. Enumerable.Range(0, layerIds.Length).Select(l => UpdateAlgebra.ToDense(
            UpdateAlgebra.LinearCombination([.. inSample.Select(_ => 1.0 / inSample.Length)], [.. inSample.Select(i => updates[i][l])], blas), blas))];
        Mlp meanModel = model.Plus(mean);
        methods.Add(new("mean adapter", null, [.. tasks.Select(t => _trainer.Accuracy(meanModel, t))], null, 0, 0, mean.Sum(m => (double)m.Length * sizeof(float))));

        var compressor = new SubspaceCompressor(blas);
        var reconstructor = new SubspaceReconstructor(blas);
        var peftCheck = new Dictionary<string, double>(StringComparer.Ordinal);
        var ablations = new List<LayerAblation>();
        foreach (CoefficientForm form in Forms)
        {
            foreach (int k in ks)
            {
                string folder = Path.Combine(output, CoefficientsFolder, CoefficientForms.Name(form), $"k{k}");
                Directory.CreateDirectory(folder);
                var accuracy = new double[adapters.Count];
                var error = new double[adapters.Count];
                var onlyLayer = new double[layerIds.Length];
                double coefficientBytes = 0, fileBytes = 0;
                for (int i = 0; i < adapters.Count; i++)
                {
                    using IModelReader reader = ModelReader.Open(adapters[i].Folder);
                    ModelCoefficients coefficients = compressor.CompressModel(reader, adapters[i].Name, bases, new CompressOptions(form) { K = k });
                    string path = Path.Combine(folder, adapters[i].Name + ".coefficients.safetensors");
                    CoefficientFile.Write(path, coefficients);
                    ModelCoefficients readBack = CoefficientFile.Read(path);
                    IReadOnlyList<NamedUpdate> reconstructed = reconstructor.Reconstruct(readBack, bases, path);
                    LayerUpdate[] ordered = [.. layerIds.Select(id => reconstructed.Single(u => u.LayerId == id).Update)];
                    accuracy[i] = _trainer.Accuracy(model.Plus(Dense(ordered)), tasks[i]);
                    error[i] = RelativeError(updates[i], ordered);
                    coefficientBytes += coefficients.Layers.Sum(c => (double)c.Values.Length * sizeof(float));
                    fileBytes += new FileInfo(path).Length;
                    if (k == headlineK && !adapters[i].InSample)
                    {
                        // Which layer's projection costs the accuracy: project one layer, keep the others as trained.
                        for (int l = 0; l < layerIds.Length; l++)
                        {
                            float[][] mixed = [.. original[i]];
                            mixed[l] = UpdateAlgebra.ToDense(ordered[l], blas);
                            onlyLayer[l] += _trainer.Accuracy(model.Plus(mixed), tasks[i]) / heldOut.Length;
                        }

                        string peft = Path.Combine(output, ReconstructedFolder, $"{CoefficientForms.Name(form)}-k{k}", adapters[i].Name);
                        AdapterOutput.WritePeft(peft, reconstructed, blas);
                        using IModelReader written = ModelReader.Open(peft);
                        float[][] deltas = Dense([.. layerIds.Select(id => LayerUpdates.Read(written, id))]);
                        peftCheck[CoefficientForms.Name(form)] = peftCheck.GetValueOrDefault(CoefficientForms.Name(form))
                            + (_trainer.Accuracy(model.Plus(deltas), tasks[i]) / heldOut.Length);
                    }
                }

                double basisBytes = CoefficientForms.RequiredModes(form).Sum(mode => layerIds.Sum(id => (double)bases.Get(id, mode).Leading(Math.Min(k, bases.Get(id, mode).Rank)).Length * sizeof(float)))
                    + (form == CoefficientForm.Flattened ? layerIds.Sum(id => (double)(bases.Get(id, BasisMode.Flattened).Mean?.Length ?? 0) * sizeof(float)) : 0);
                methods.Add(new(CoefficientForms.Name(form), k, accuracy, error, coefficientBytes / adapters.Count, fileBytes / adapters.Count, basisBytes));
                if (k == headlineK)
                {
                    ablations.AddRange(layerIds.Select((id, l) => new LayerAblation(CoefficientForms.Name(form), k, id, onlyLayer[l])));
                }
                console.WriteLine($"  {CoefficientForms.Name(form),-10} k = {k,2}: held-out accuracy {heldOut.Average(i => accuracy[i]):P1}, in-sample {inSample.Average(i => accuracy[i]):P1}");
            }
        }

        var diagnostics = new List<LayerDiagnostics>();
        foreach ((string layer, int l) in layerIds.Select((id, l) => (id, l)))
        {
            foreach ((BasisMode mode, CoefficientForm form) in new[] { (BasisMode.Rows, CoefficientForm.Rows), (BasisMode.Columns, CoefficientForm.Columns), (BasisMode.Flattened, CoefficientForm.Flattened) })
            {
                LayerBasisFile basis = bases.Get(layer, mode);
                BasisDiagnostics? fitted = SubspaceDiagnostics.ForBasis(basis);
                foreach (int k in ks.Where(k => k <= basis.Rank))
                {
                    LayerProjection projection = LayerProjection.For(form, bases, layer, k);
                    double capture = heldOut.Average(i => SubspaceDiagnostics.CapturedShare(updates[i][l], projection, blas));
                    double explained = fitted is { TotalEnergy: > 0 } ? basis.SingularValues.Take(k).Sum(s => s * s) / fitted.TotalEnergy : double.NaN;
                    long dimension = basis.Dimension;
                    double? nullEnergy = fitted is null ? null : SubspaceDiagnostics.NullExplainedEnergy(fitted.Rows, dimension, k);
                    diagnostics.Add(new(layer, BasisModes.Name(mode), (int)dimension, k, explained, nullEnergy, capture, (double)k / dimension, fitted?.DirectionsAboveEdge));
                }
            }
        }

        return new EvaluationResult(methods, diagnostics, LoraBytes(updates[0]),
            new FileInfo(Path.Combine(adapters[0].Folder, LoraAdapter.WeightsFileName)).Length,
            updates[0].Sum(u => (double)u.OutFeatures * u.InFeatures * sizeof(float)), adapters.Count, peftCheck, headlineK, ablations);
    }

    private static int Dimension(BasisMode mode, LayerUpdate update) => mode switch
    {
        BasisMode.Rows => update.InFeatures,
        BasisMode.Columns => update.OutFeatures,
        _ => update.OutFeatures * update.InFeatures,
    };

    private static double LoraBytes(IReadOnlyList<LayerUpdate> layers) => layers.Sum(u => (double)u.StoredElements * sizeof(float));

    private float[][] Dense(IReadOnlyList<LayerUpdate> layers) => [.. layers.Select(u => UpdateAlgebra.ToDense(u, blas))];

    private double RelativeError(IReadOnlyList<LayerUpdate> truth, IReadOnlyList<LayerUpdate> approximation)
    {
        double difference = 0, norm = 0;
        for (int l = 0; l < truth.Count; l++)
        {
            difference += Math.Pow(UpdateAlgebra.Distance(truth[l], approximation[l], blas), 2);
            norm += UpdateAlgebra.SquaredNorm(truth[l], blas);
        }

        return Math.Sqrt(difference / norm);
    }
}
