using System.Globalization;
using System.Numerics.Tensors;
using Microsoft.Extensions.Options;
using OrleansUws.ModelFormats.Peft;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.ModelFormats.Fleets;

/// <summary>
/// Writes a fleet (see <see cref="FleetSpec"/> for the planted model) to a folder, streaming: at any time it holds
/// the per-layer shared structure (bases and, for adapters, the mean factors) plus one chunk of one tensor per
/// worker, never a whole model or the fleet. Output: adapters as <c>model-00000/adapter_config.json</c> +
/// <c>adapter_model.safetensors</c>, checkpoints as <c>model-00000.safetensors</c>, then <c>fleet.json</c> and,
/// for planted fleets, <c>ground-truth.safetensors</c> (keys in <see cref="GroundTruthKeys"/>). Model i is a pure
/// function of (seed, i, layer id, spec), so generating 20 or 40 models gives the same first 20.
/// </summary>
public sealed class FleetGenerator
{
    private const ulong ModelPurpose = 0x4D4F44454C000003UL;
    private const int DenseChunkElements = 1 << 16;

    private readonly FleetSpec _spec;

    /// <summary>Creates a generator for a validated spec.</summary>
    /// <param name="spec">The spec.</param>
    /// <exception cref="OptionsValidationException">The spec is invalid; lists every failure.</exception>
    public FleetGenerator(FleetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ValidateOptionsResult result = new FleetSpecValidator().Validate(null, spec);
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(FleetSpec), typeof(FleetSpec), result.Failures);
        }

        _spec = spec;
    }

    /// <summary>The name of model <paramref name="index"/> inside the fleet folder.</summary>
    /// <param name="kind">Adapters (a folder) or checkpoints (a file).</param>
    /// <param name="index">The model index.</param>
    /// <returns>e.g. <c>model-00007</c> or <c>model-00007.safetensors</c>.</returns>
    public static string ModelName(FleetKind kind, int index) =>
        kind == FleetKind.LoraAdapters ? $"model-{index:D5}" : $"model-{index:D5}.safetensors";

    /// <summary>Writes the fleet.</summary>
    /// <param name="outputFolder">A folder that does not exist or is empty.</param>
    /// <param name="modelsWritten">Receives the number of models written so far.</param>
    /// <param name="cancellationToken">Stops between tensors; partial files are removed.</param>
    /// <returns>The manifest, also written as <c>fleet.json</c>.</returns>
    /// <exception cref="IOException">The folder exists and is not empty.</exception>
    public FleetManifest Generate(string outputFolder, IProgress<int>? modelsWritten = null, CancellationToken cancellationToken = default)
    {
        if (Directory.Exists(outputFolder) && Directory.EnumerateFileSystemEntries(outputFolder).Any())
        {
            throw new IOException($"Fleet folder '{outputFolder}' is not empty; choose a new folder.");
        }

        Directory.CreateDirectory(outputFolder);
        PlantedLayer[] planted = _spec.Structure == FleetStructure.Planted
            ? _spec.Layers.Select(l => PlantedLayer.Create(_spec, l)).ToArray()
            : [];

        int written = 0;
        RunOnDedicatedThreads(_spec.ModelCount, _spec.MaxDegreeOfParallelism, index =>
        {
            if (_spec.Kind == FleetKind.LoraAdapters)
            {
                WriteAdapter(Path.Combine(outputFolder, ModelName(_spec.Kind, index)), index, planted, cancellationToken);
            }
            else
            {
                WriteCheckpoint(Path.Combine(outputFolder, ModelName(_spec.Kind, index)), index, planted, cancellationToken);
            }

            modelsWritten?.Report(Interlocked.Increment(ref written));
        }, cancellationToken);

        if (planted.Length > 0)
        {
            WriteGroundTruth(Path.Combine(outputFolder, GroundTruthKeys.FileName), planted);
        }

        FleetManifest manifest = Manifest();
        manifest.Save(outputFolder);
        return manifest;
    }

    /// <summary>
    /// Runs <paramref name="body"/> for 0…count−1 on <paramref name="threads"/> threads of its own (the calling thread
    /// waits), not on the thread pool: generation is long, blocking work, and a host that serves while it generates
    /// (the embedded silo of <c>uws run</c>) needs its pool threads. The first exception stops the others and is rethrown.
    /// </summary>
    private static void RunOnDedicatedThreads(int count, int threads, Action<int> body, CancellationToken cancellationToken)
    {
        int next = -1;
        Exception? failure = null;
        var workers = Enumerable.Range(0, Math.Min(threads, count)).Select(_ => new Thread(() =>
        {
            try
            {
                for (int index = Interlocked.Increment(ref next); index < count && Volatile.Read(ref failure) is null; index = Interlocked.Increment(ref next))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    body(index);
                }
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref failure, ex, null);
            }
        })
        {
            IsBackground = true,
            Name = "uws fleet generator",
        }).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    private double Scaling => _spec.Kind == FleetKind.LoraAdapters ? _spec.LoraAlpha / _spec.Rank : 1.0;

    private FleetManifest Manifest() => new()
    {
        Preset = _spec.Preset,
        Kind = _spec.Kind,
        Structure = _spec.Structure,
        ModelCount = _spec.ModelCount,
        Seed = _spec.Seed,
        NoiseLevel = _spec.NoiseLevel,
        SubspaceDimension = _spec.SubspaceDimension,
        Spectrum = _spec.ResolvedSpectrum,
        MeanStrength = _spec.MeanStrength,
        Rank = _spec.Kind == FleetKind.LoraAdapters ? _spec.Rank : 0,
        LoraAlpha = _spec.LoraAlpha,
        Scaling = Scaling,
        DType = _spec.DType.ToSafetensorsName(),
        Layers = _spec.Layers,
        Models = Enumerable.Range(0, _spec.ModelCount).Select(i => ModelName(_spec.Kind, i)).ToArray(),
        GroundTruth = _spec.Structure == FleetStructure.Planted ? GroundTruthKeys.FileName : null,
    };

    private Dictionary<string, string> Metadata(string what, int? index) => new()
    {
        ["format"] = "pt",
        ["uws.content"] = what,
        ["uws.preset"] = _spec.Preset,
        ["uws.structure"] = _spec.Structure.ToString(),
        ["uws.seed"] = _spec.Seed.ToString(CultureInfo.InvariantCulture),
        ["uws.model_index"] = index?.ToString(CultureInfo.InvariantCulture) ?? "",
    };

    private DeterministicRandom ModelRandom(int index, FleetLayerSpec layer) =>
        new(_spec.Seed, ModelPurpose, (ulong)index, DeterministicRandom.Hash(layer.LayerId));

    private void WriteAdapter(string folder, int index, PlantedLayer[] planted, CancellationToken cancellationToken)
    {
        int r = _spec.Rank;
        string[] targets = _spec.Layers.Select(l => l.ModulePath[(l.ModulePath.LastIndexOf('.') + 1)..]).Distinct(StringComparer.Ordinal).ToArray();
        var config = new LoraAdapterConfig(r, _spec.LoraAlpha, UseRsLora: false, targets, FanInFanOut: false) { BaseModel = $"uws-generated/{_spec.Preset}" };
        int largest = _spec.Layers.Max(l => Math.Max(l.InFeatures, l.OutFeatures)) * r;
        using var a = new ScratchBuffer<float>(largest);
        using var b = new ScratchBuffer<float>(largest);
        using var writer = new LoraAdapterWriter(folder, config, _spec.Layers, _spec.DType, Metadata("lora-adapter", index));
        for (int l = 0; l < _spec.Layers.Count; l++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            FleetLayerSpec layer = _spec.Layers[l];
            Span<float> aSpan = a.Span[..(r * layer.InFeatures)];
            Span<float> bSpan = b.Span[..(layer.OutFeatures * r)];
            FillAdapterLayer(ModelRandom(index, layer), planted.Length > 0 ? planted[l] : null, layer, aSpan, bSpan);
            writer.WriteLayer(aSpan, bSpan);
        }

        writer.Complete();
    }

    // A = C Vᵀ + E (r × n), B = U D + F (m × r); random fleets: iid entries with the noise-free scales 1/√n and 1/√m.
    private void FillAdapterLayer(DeterministicRandom random, PlantedLayer? planted, FleetLayerSpec layer, Span<float> a, Span<float> b)
    {
        int r = _spec.Rank, m = layer.OutFeatures, n = layer.InFeatures;
        if (planted is null)
        {
            random.FillGaussian(a, 1 / Math.Sqrt(n));
            random.FillGaussian(b, 1 / Math.Sqrt(m));
            return;
        }

        int k = planted.K;
        using var coefficients = new ScratchBuffer<float>(r * k);
        Span<float> c = coefficients.Span;
        for (int row = 0; row < r; row++)
        {
            for (int j = 0; j < k; j++)
            {
                c[row * k + j] = planted.MeanCoefficientsA[row * k + j] + (float)(planted.Spectrum[j] * random.NextGaussian());
            }
        }

        random.FillGaussian(a, _spec.NoiseLevel / Math.Sqrt(n));
        PlantedLayer.CombineRows(c, planted.RowsBasis, r, k, n, a);

        for (int j = 0; j < k; j++)
        {
            for (int column = 0; column < r; column++)
            {
                c[j * r + column] = planted.MeanCoefficientsB[j * r + column] + (float)(planted.Spectrum[j] * random.NextGaussian());
            }
        }

        random.FillGaussian(b, _spec.NoiseLevel / Math.Sqrt(m));
        PlantedLayer.CombineColumns(c, planted.ColumnsBasis, k, r, m, b);
    }

    private void WriteCheckpoint(string path, int index, PlantedLayer[] planted, CancellationToken cancellationToken)
    {
        TensorSpec[] specs = _spec.Layers.Select(l => new TensorSpec(l.ModulePath + ".weight", _spec.DType, [l.OutFeatures, l.InFeatures])).ToArray();
        int maxColumns = _spec.Layers.Max(l => l.InFeatures);
        int chunkRows = Math.Max(1, DenseChunkElements / maxColumns);
        using var chunk = new ScratchBuffer<float>(chunkRows * maxColumns);
        using var writer = new SafetensorsWriter(path, specs, Metadata("dense-checkpoint", index));
        for (int l = 0; l < _spec.Layers.Count; l++)
        {
            FleetLayerSpec layer = _spec.Layers[l];
            DeterministicRandom random = ModelRandom(index, layer);
            PlantedLayer? structure = planted.Length > 0 ? planted[l] : null;
            DeterministicRandom? mean = structure is null ? null : PlantedLayer.MeanRandom(_spec, layer);
            double[] coefficients = structure is null ? [] : structure.Spectrum.Select(s => s * random.NextGaussian()).ToArray();
            int n = layer.InFeatures;
            for (int start = 0; start < layer.OutFeatures; start += chunkRows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int rows = Math.Min(chunkRows, layer.OutFeatures - start);
                Span<float> block = chunk.Span[..(rows * n)];
                if (structure is null)
                {
                    random.FillGaussian(block, 1 / Math.Sqrt(n));
                }
                else
                {
                    FillDenseRows(structure, mean!, random, coefficients, start, rows, block);
                }

                writer.Write(block);
            }
        }

        writer.Complete();
    }

    // W rows [start, start+rows) = M + √m Σ_j c_j u_j[i] v_j + G.
    private void FillDenseRows(PlantedLayer structure, DeterministicRandom mean, DeterministicRandom noise, double[] coefficients, int start, int rows, Span<float> block)
    {
        int m = structure.Layer.OutFeatures, n = structure.Layer.InFeatures;
        double rootM = Math.Sqrt(m);
        using var noiseRow = new ScratchBuffer<float>(n);
        for (int i = 0; i < rows; i++)
        {
            Span<float> row = block.Slice(i * n, n);
            mean.FillGaussian(row, _spec.MeanStrength / Math.Sqrt(n));
            noise.FillGaussian(noiseRow.Span, _spec.NoiseLevel / Math.Sqrt(n));
            TensorPrimitives.Add(row, noiseRow.Span, row);
            for (int j = 0; j < structure.K; j++)
            {
                float weight = (float)(rootM * coefficients[j] * structure.ColumnsBasis[j * m + start + i]);
                TensorPrimitives.MultiplyAdd(structure.RowsBasis.AsSpan(j * n, n), weight, row, row);
            }
        }
    }

    private void WriteGroundTruth(string path, PlantedLayer[] planted)
    {
        var specs = new List<TensorSpec>();
        foreach (PlantedLayer layer in planted)
        {
            (string id, int m, int n, int k) = (layer.Layer.LayerId, layer.Layer.OutFeatures, layer.Layer.InFeatures, layer.K);
            specs.Add(new TensorSpec(GroundTruthKeys.RowsBasis(id), TensorDType.F32, [k, n]));
            specs.Add(new TensorSpec(GroundTruthKeys.ColumnsBasis(id), TensorDType.F32, [k, m]));
            specs.Add(new TensorSpec(GroundTruthKeys.Spectrum(id), TensorDType.F32, [k]));
            if (_spec.Kind == FleetKind.LoraAdapters)
            {
                specs.Add(new TensorSpec(GroundTruthKeys.MeanA(id), TensorDType.F32, [_spec.Rank, n]));
                specs.Add(new TensorSpec(GroundTruthKeys.MeanB(id), TensorDType.F32, [m, _spec.Rank]));
            }
            else
            {
                specs.Add(new TensorSpec(GroundTruthKeys.Mean(id), TensorDType.F32, [m, n]));
            }
        }

        Dictionary<string, string> metadata = Metadata("ground-truth", null);
        metadata["uws.scaling"] = Scaling.ToString("R", CultureInfo.InvariantCulture);
        metadata["uws.subspace_dimension"] = _spec.SubspaceDimension.ToString(CultureInfo.InvariantCulture);
        using var writer = new SafetensorsWriter(path, specs, metadata);
        foreach (PlantedLayer layer in planted)
        {
            writer.Write(layer.RowsBasis);
            writer.Write(layer.ColumnsBasis);
            writer.Write(layer.Spectrum.Select(s => (float)s).ToArray());
            if (_spec.Kind == FleetKind.LoraAdapters)
            {
                writer.Write(layer.MeanA);
                writer.Write(layer.MeanB);
                continue;
            }

            DeterministicRandom mean = PlantedLayer.MeanRandom(_spec, layer.Layer);
            using var row = new ScratchBuffer<float>(layer.Layer.InFeatures);
            for (int i = 0; i < layer.Layer.OutFeatures; i++)
            {
                mean.FillGaussian(row.Span, _spec.MeanStrength / Math.Sqrt(layer.Layer.InFeatures));
                writer.Write(row.Span);
            }
        }

        writer.Complete();
    }
}
