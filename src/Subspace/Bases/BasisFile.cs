using System.Globalization;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Safetensors;
using OrleansUws.Subspace.Diagnostics;
using OrleansUws.Subspace.Internal;

namespace OrleansUws.Subspace.Bases;

/// <summary>
/// The basis file format, in one place: a safetensors file <c>{layer}.{mode}.safetensors</c> holding <c>basis</c>
/// (k×d float32, orthonormal rows), <c>singular_values</c> (k) and, for a tracked or centred mean, <c>mean</c> (d).
/// <c>__metadata__</c> records format, fleet, layer, mode, centred, k, T, rows, version and the version's figures
/// (explained energy, certificate, sin θ to the previous version), the layer shape where known, and the
/// diagnostics (<see cref="BasisDiagnostics"/>: Marchenko–Pastur null, mean share) so the file explains itself.
/// </summary>
public static class BasisFile
{
    /// <summary>The <c>format</c> metadata value.</summary>
    public const string FormatName = "orleans-uws-basis";

    /// <summary>Tensor name of the basis vectors.</summary>
    public const string BasisTensor = "basis";

    /// <summary>Tensor name of the singular values.</summary>
    public const string SingularValuesTensor = "singular_values";

    /// <summary>Tensor name of the mean.</summary>
    public const string MeanTensor = "mean";

    /// <summary>File name of a layer's basis in a bases folder: <c>{layer}.{mode}.safetensors</c>.</summary>
    public static string FileName(string layer, BasisMode mode) => $"{layer}.{BasisModes.Name(mode)}.safetensors";

    /// <summary>The metadata written for <paramref name="header"/> and, when given, <paramref name="diagnostics"/>.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(BasisFileHeader header, BasisDiagnostics? diagnostics = null)
    {
        ArgumentNullException.ThrowIfNull(header);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = FormatName,
            ["fleet"] = header.Fleet,
            ["layer"] = header.Layer,
            ["mode"] = BasisModes.Name(header.Mode),
            ["centred"] = Bool(header.Centred),
            ["k"] = Invariant(header.Rank),
            ["rank_capped"] = Bool(header.RankCapped),
            ["T"] = Invariant(header.ModelCount),
            ["rows"] = Invariant(header.RowCount),
            ["version"] = Invariant(header.Version),
            ["explained_energy"] = Invariant(header.ExplainedEnergy),
            ["certificate"] = Invariant(header.Certificate),
            ["created_at"] = header.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
        };
        if (header.SinThetaToPrevious is { } sin)
        {
            metadata["sin_theta_previous"] = Invariant(sin);
        }

        if (header.OutFeatures is { } m)
        {
            metadata["out_features"] = Invariant(m);
        }

        if (header.InFeatures is { } n)
        {
            metadata["in_features"] = Invariant(n);
        }

        if (header.IndependentRows is { } independent)
        {
            metadata["independent_rows"] = Invariant(independent);
        }

        AddOptional(metadata, "heldout_capture", header.HeldOutCapture);
        AddOptional(metadata, "heldout_models", header.HeldOutModels);
        AddOptional(metadata, "energy_distance_previous", header.EnergyDistanceToPrevious);
        AddOptional(metadata, "sin_theta_gap_previous", header.SinThetaUpToGap);
        AddOptional(metadata, "gap_directions", header.GapDirections);
        if (diagnostics is not null)
        {
            metadata["mp_null_energy"] = Invariant(diagnostics.NullExplainedEnergy);
            metadata["mp_singular_value_edge"] = Invariant(diagnostics.SingularValueEdge);
            metadata["directions_above_mp_edge"] = Invariant(diagnostics.DirectionsAboveEdge);
            metadata["within_noise"] = Bool(diagnostics.WithinNoise);
            if (diagnostics.MeanEnergyShare is { } share)
            {
                metadata["mean_energy_share"] = Invariant(share);
            }
        }

        return metadata;
    }

    /// <summary>
    /// Writes <paramref name="basis"/> to <paramref name="path"/> (replacing it; the folder is created), with its
    /// diagnostics computed by <see cref="SubspaceDiagnostics.ForBasis"/> when the file's figures allow.
    /// </summary>
    /// <exception cref="ArgumentException">The arrays do not match k and d; the message gives the lengths.</exception>
    public static void Write(string path, LayerBasisFile basis)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(basis);
        basis.CheckConsistent();
        var k = basis.Rank;
        var d = basis.Dimension;
        var tensors = new List<(TensorSpec Spec, float[] Values)>
        {
            (new TensorSpec(BasisTensor, TensorDType.F32, [k, d]), basis.Vectors),
            (new TensorSpec(SingularValuesTensor, TensorDType.F32, [k]), basis.SingularValues.Select(s => (float)s).ToArray()),
        };
        if (basis.Mean is { } mean)
        {
            tensors.Add((new TensorSpec(MeanTensor, TensorDType.F32, [d]), mean));
        }

        SubspaceFiles.CreateFolderOf(path);

        SafetensorsWriter.WriteAll(path, tensors, Metadata(basis.Header, basis.Diagnostics ?? SubspaceDiagnostics.ForBasis(basis)));
    }

    /// <summary>Reads a basis file.</summary>
    /// <exception cref="SubspaceFormatException">Not a basis file, a metadata field missing or malformed, or a tensor of the wrong shape; names the file and field.</exception>
    public static LayerBasisFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using (var file = SubspaceFiles.Open(path, "basis file"))
        {
            var meta = new MetadataReader(path, file.Metadata);
            if (meta.Optional("format") is { } format && format != FormatName)
            {
                throw new SubspaceFormatException(path, "format", $"is '{format}'; a basis file has '{FormatName}'");
            }

            var modeText = meta.Required("mode");
            if (!BasisModes.TryParse(modeText, out var mode))
            {
                throw new SubspaceFormatException(path, "mode", $"is '{modeText}'; expected rows, columns or flattened");
            }

            var header = new BasisFileHeader(
                meta.Required("fleet"),
                meta.Required("layer"),
                mode,
                meta.Bool("centred"),
                meta.Int("k"),
                meta.Int("version"),
                meta.Int("T"),
                meta.Long("rows"))
            {
                RankCapped = meta.Optional("rank_capped") == "true",
                ExplainedEnergy = meta.Double("explained_energy"),
                Certificate = meta.OptionalDouble("certificate") ?? 0,
                SinThetaToPrevious = meta.OptionalDouble("sin_theta_previous"),
                CreatedAt = meta.Optional("created_at") is { } created && DateTimeOffset.TryParse(created, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : default,
                OutFeatures = meta.OptionalInt("out_features"),
                InFeatures = meta.OptionalInt("in_features"),
                IndependentRows = meta.Optional("independent_rows") is null ? null : meta.Long("independent_rows"),
                HeldOutCapture = meta.OptionalDouble("heldout_capture"),
                HeldOutModels = meta.OptionalInt("heldout_models"),
                EnergyDistanceToPrevious = meta.OptionalDouble("energy_distance_previous"),
                SinThetaUpToGap = meta.OptionalDouble("sin_theta_gap_previous"),
                GapDirections = meta.OptionalInt("gap_directions"),
            };
            var vectors = ReadMatrix(file, path, BasisTensor, header.Rank, out int d);
            var singular = ReadVector(file, path, SingularValuesTensor, header.Rank);
            float[]? mean = file.TryGetTensor(MeanTensor, out _) ? ReadVector(file, path, MeanTensor, d) : null;
            if (header.Centred && mean is null)
            {
                throw new SubspaceFormatException(path, MeanTensor, "the basis is centred but the file has no mean");
            }

            if (mode == BasisMode.Flattened && header.OutFeatures is { } m && header.InFeatures is { } n && (long)m * n != d)
            {
                throw new SubspaceFormatException(path, BasisTensor, $"has dimension {d}; the layer shape {m}×{n} needs {(long)m * n}");
            }

            var basis = new LayerBasisFile(header, d, vectors, singular.Select(s => (double)s).ToArray(), mean);
            var diagnostics = SubspaceDiagnostics.ForBasis(basis);
            if (diagnostics is not null && meta.OptionalDouble("mean_energy_share") is { } share)
            {
                diagnostics = diagnostics with { MeanEnergyShare = share };
            }

            return basis with { Diagnostics = diagnostics };
        }
    }

    private static void AddOptional(Dictionary<string, string> metadata, string key, double? value)
    {
        if (value is { } v)
        {
            metadata[key] = Invariant(v);
        }
    }

    private static void AddOptional(Dictionary<string, string> metadata, string key, int? value)
    {
        if (value is { } v)
        {
            metadata[key] = Invariant(v);
        }
    }

    private static float[] ReadMatrix(SafetensorsFile file, string path, string name, int rows, out int columns)
    {
        if (!file.TryGetTensor(name, out var info))
        {
            throw new SubspaceFormatException(path, name, "tensor is missing");
        }

        if (info.Shape.Count != 2 || info.Shape[0] != rows || info.Shape[1] < 1 || info.Shape[1] > int.MaxValue / Math.Max(rows, 1))
        {
            throw new SubspaceFormatException(path, name, $"has shape {info.ShapeText}; expected [{rows}, d] for k = {rows}");
        }

        columns = (int)info.Shape[1];
        var values = new float[rows * columns];
        SubspaceFiles.ReadChecked(file, path, name, values);
        return values;
    }

    private static float[] ReadVector(SafetensorsFile file, string path, string name, int length)
    {
        if (!file.TryGetTensor(name, out var info))
        {
            throw new SubspaceFormatException(path, name, "tensor is missing");
        }

        if (info.Shape.Count != 1 || info.Shape[0] != length)
        {
            throw new SubspaceFormatException(path, name, $"has shape {info.ShapeText}; expected [{length}]");
        }

        var values = new float[length];
        SubspaceFiles.ReadChecked(file, path, name, values);
        return values;
    }



    private static string Bool(bool value) => value ? "true" : "false";

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
