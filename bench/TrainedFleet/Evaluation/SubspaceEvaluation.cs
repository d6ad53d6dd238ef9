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

    private static readonly (BasisMode Mode, bool Centred, CoefficientForm OneSided)[] Modes =
        [(BasisMode.Rows, false, CoefficientForm.Rows), (BasisMode.Columns, false, CoefficientForm.Columns), (BasisMode.Flattened, true, CoefficientForm.Flattened)];

    private readonly Trainer _trainer = new(blas);

    /// <summary>Runs the evaluation and writes bases, coefficient files and reconstructed adapters under <paramref name="output"/>.</summary>
    public EvaluationResult Run(Mlp model, IReadOnlyList<TrainedAdapter> adapters, LabeledImages test, string output, TextWriter console)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(console);
        var fleet = new EvaluatedFleet(model, adapters, test, blas);
        int headlineK = ks.Contains(8) ? 8 : ks[ks.Count / 2];
        BasisSet bases = FitBases(fleet, Path.Combine(output, BasesFolder));
        console.WriteLine($"bases: {bases.All.Count} files (rows, columns uncentred; flattened centred) fitted on {fleet.InSample.Length} in-sample adapters, k ≤ {ks.Max()}");

        var methods = new List<MethodScores>
        {
            new("base", null, [.. fleet.Tasks.Select(t => _trainer.Accuracy(model, t))], null, 0, 0, 0),
            new("adapter", null, [.. adapters.Select((a, i) => _trainer.Accuracy(model.Plus(fleet.Original[i]), fleet.Tasks[i]))], null,
                LoraBytes(fleet.Updates[0]), new FileInfo(Path.Combine(adapters[0].Folder, LoraAdapter.WeightsFileName)).Length, 0),
        };

        // The mean adapter: the average of the in-sample ΔW (dense), given to every task.
        float[][] mean = [.. Enumerable.Range(0, fleet.LayerIds.Length).Select(l => UpdateAlgebra.ToDense(
            UpdateAlgebra.LinearCombination([.. fleet.InSample.Select(_ => 1.0 / fleet.InSample.Length)], [.. fleet.InSample.Select(i => fleet.Updates[i][l])], blas), blas))];
        Mlp meanModel = model.Plus(mean);
        methods.Add(new("mean adapter", null, [.. fleet.Tasks.Select(t => _trainer.Accuracy(meanModel, t))], null, 0, 0, mean.Sum(m => (double)m.Length * sizeof(float))));

        var peftCheck = new Dictionary<string, double>(StringComparer.Ordinal);
        var ablations = new List<LayerAblation>();
        foreach (CoefficientForm form in Forms)
        {
            foreach (int k in ks)
            {
                MethodScores scores = ScoreProjection(fleet, bases, form, k, output, k == headlineK ? (peftCheck, ablations) : null);
                methods.Add(scores);
                console.WriteLine($"  {scores.Method,-10} k = {k,2}: held-out accuracy {fleet.HeldOut.Average(i => scores.Accuracy[i]):P1}, in-sample {fleet.InSample.Average(i => scores.Accuracy[i]):P1}");
            }
        }

        return new EvaluationResult(methods, Diagnose(fleet, bases), LoraBytes(fleet.Updates[0]),
            new FileInfo(Path.Combine(adapters[0].Folder, LoraAdapter.WeightsFileName)).Length,
            fleet.Updates[0].Sum(u => (double)u.OutFeatures * u.InFeatures * sizeof(float)), adapters.Count, peftCheck, headlineK, ablations);
    }

    // Exact Gram per layer and mode on the in-sample adapters, written and loaded back as the CLI would.
    private BasisSet FitBases(EvaluatedFleet fleet, string folder)
    {
        Directory.CreateDirectory(folder);
        var fitter = new ExactBasisFitter(blas);
        int kMax = ks.Max();
        for (int l = 0; l < fleet.LayerIds.Length; l++)
        {
            LayerUpdate[] inSample = [.. fleet.InSample.Select(i => fleet.Updates[i][l])];
            foreach ((BasisMode mode, bool centred, _) in Modes)
            {
                LayerUpdate first = inSample[0];
                int dimension = mode switch { BasisMode.Rows => first.InFeatures, BasisMode.Columns => first.OutFeatures, _ => first.OutFeatures * first.InFeatures };
                int available = inSample.Length * (mode == BasisMode.Flattened ? 1 : first.Rank);
                LayerBasisFile basis = fitter.Fit(FleetName, fleet.LayerIds[l], inSample, mode, centred, Math.Min(kMax, Math.Min(dimension, available)));
                BasisFile.Write(Path.Combine(folder, BasisFile.FileName(fleet.LayerIds[l], mode)), basis);
            }
        }

        return BasisSet.Load(folder);
    }

    // Every adapter file → coefficient file → read back → reconstructed → accuracy; at the headline k (extras given) also
    // the per-layer ablation and the reconstruction written as a PEFT adapter and read back.
    private MethodScores ScoreProjection(EvaluatedFleet fleet, BasisSet bases, CoefficientForm form, int k, string output,
        (Dictionary<string, double> PeftCheck, List<LayerAblation> Ablations)? extras)
    {
        string name = CoefficientForms.Name(form);
        string folder = Path.Combine(output, CoefficientsFolder, name, $"k{k}");
        Directory.CreateDirectory(folder);
        var compressor = new SubspaceCompressor(blas);
        var reconstructor = new SubspaceReconstructor(blas);
        int count = fleet.Adapters.Count;
        var accuracy = new double[count];
        var error = new double[count];
        var onlyLayer = new double[fleet.LayerIds.Length];
        double coefficientBytes = 0, fileBytes = 0;
        for (int i = 0; i < count; i++)
        {
            TrainedAdapter adapter = fleet.Adapters[i];
            ModelCoefficients coefficients;
            using (IModelReader reader = ModelReader.Open(adapter.Folder))
            {
                coefficients = compressor.CompressModel(reader, adapter.Name, bases, new CompressOptions(form) { K = k });
            }

            string path = Path.Combine(folder, adapter.Name + ".coefficients.safetensors");
            CoefficientFile.Write(path, coefficients);
            IReadOnlyList<NamedUpdate> reconstructed = reconstructor.Reconstruct(CoefficientFile.Read(path), bases, path);
            LayerUpdate[] ordered = [.. fleet.LayerIds.Select(id => reconstructed.Single(u => u.LayerId == id).Update)];
            accuracy[i] = _trainer.Accuracy(fleet.Model.Plus(Dense(ordered)), fleet.Tasks[i]);
            error[i] = RelativeError(fleet.Updates[i], ordered);
            coefficientBytes += coefficients.Layers.Sum(c => (double)c.Values.Length * sizeof(float));
            fileBytes += new FileInfo(path).Length;
            if (extras is { } extra && !adapter.InSample)
            {
                // Which layer's projection costs the accuracy: project one layer, keep the others as trained.
                for (int l = 0; l < fleet.LayerIds.Length; l++)
                {
                    float[][] mixed = [.. fleet.Original[i]];
                    mixed[l] = UpdateAlgebra.ToDense(ordered[l], blas);
                    onlyLayer[l] += _trainer.Accuracy(fleet.Model.Plus(mixed), fleet.Tasks[i]) / fleet.HeldOut.Length;
                }

                string peft = Path.Combine(output, ReconstructedFolder, $"{name}-k{k}", adapter.Name);
                AdapterOutput.WritePeft(peft, reconstructed, blas);
                using IModelReader written = ModelReader.Open(peft);
                float[][] deltas = Dense([.. fleet.LayerIds.Select(id => LayerUpdates.Read(written, id))]);
                extra.PeftCheck[name] = extra.PeftCheck.GetValueOrDefault(name) + (_trainer.Accuracy(fleet.Model.Plus(deltas), fleet.Tasks[i]) / fleet.HeldOut.Length);
            }
        }

        extras?.Ablations.AddRange(fleet.LayerIds.Select((id, l) => new LayerAblation(name, k, id, onlyLayer[l])));
        double basisBytes = fleet.LayerIds.Sum(id => CoefficientForms.RequiredModes(form).Sum(mode =>
        {
            LayerBasisFile basis = bases.Get(id, mode);
            return (double)((Math.Min(k, basis.Rank) * basis.Dimension) + (form == CoefficientForm.Flattened ? basis.Mean?.Length ?? 0 : 0)) * sizeof(float);
        }));
        return new MethodScores(name, k, accuracy, error, coefficientBytes / count, fileBytes / count, basisBytes);
    }

    // Per layer and mode: in-sample energy, the Marchenko–Pastur null and the held-out capture of the one-sided projection.
    private List<LayerDiagnostics> Diagnose(EvaluatedFleet fleet, BasisSet bases)
    {
        var diagnostics = new List<LayerDiagnostics>();
        for (int l = 0; l < fleet.LayerIds.Length; l++)
        {
            string layer = fleet.LayerIds[l];
            foreach ((BasisMode mode, _, CoefficientForm form) in Modes)
            {
                LayerBasisFile basis = bases.Get(layer, mode);
                BasisDiagnostics? fitted = SubspaceDiagnostics.ForBasis(basis);
                foreach (int k in ks.Where(k => k <= basis.Rank))
                {
                    LayerProjection projection = LayerProjection.For(form, bases, layer, k);
                    double capture = fleet.HeldOut.Average(i => SubspaceDiagnostics.CapturedShare(fleet.Updates[i][l], projection, blas));
                    double explained = fitted is { TotalEnergy: > 0 } ? basis.SingularValues.Take(k).Sum(s => s * s) / fitted.TotalEnergy : double.NaN;
                    double? nullEnergy = fitted is null ? null : SubspaceDiagnostics.NullExplainedEnergy(fitted.Rows, basis.Dimension, k);
                    diagnostics.Add(new(layer, BasisModes.Name(mode), basis.Dimension, k, explained, nullEnergy, capture, (double)k / basis.Dimension, fitted?.DirectionsAboveEdge));
                }
            }
        }

        return diagnostics;
    }

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

    // The adapters as the pipeline reads them (PEFT reader, LoRA kept factored), their dense updates and their tasks' test sets.
    private sealed class EvaluatedFleet
    {
        public EvaluatedFleet(Mlp model, IReadOnlyList<TrainedAdapter> adapters, LabeledImages test, IBlasBackend blas)
        {
            Model = model;
            Adapters = adapters;
            LayerIds = [.. model.Layers.Select(l => PeftKeys.DenseLayerId(l.Name))];
            Tasks = [.. adapters.Select(a => a.Task.Apply(test))];
            Updates = new LayerUpdate[adapters.Count][];
            for (int i = 0; i < adapters.Count; i++)
            {
                using IModelReader reader = ModelReader.Open(adapters[i].Folder);
                Updates[i] = [.. LayerIds.Select(id => LayerUpdates.Read(reader, id))];
            }

            Original = [.. Updates.Select(u => u.Select(x => UpdateAlgebra.ToDense(x, blas)).ToArray())];
            InSample = [.. Enumerable.Range(0, adapters.Count).Where(i => adapters[i].InSample)];
            HeldOut = [.. Enumerable.Range(0, adapters.Count).Where(i => !adapters[i].InSample)];
        }

        public Mlp Model { get; }

        public IReadOnlyList<TrainedAdapter> Adapters { get; }

        public string[] LayerIds { get; }

        public LabeledImages[] Tasks { get; }

        public LayerUpdate[][] Updates { get; }

        public float[][][] Original { get; }

        public int[] InSample { get; }

        public int[] HeldOut { get; }
    }
}
