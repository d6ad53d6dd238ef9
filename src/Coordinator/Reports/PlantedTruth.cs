using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats.Safetensors;
using OrleansUws.Numerics.Metrics;

namespace OrleansUws.Coordinator.Reports;

/// <summary>
/// The ground truth a generated fleet was planted with (<c>ground-truth.safetensors</c>): per layer, the
/// orthonormal k×n row-space basis (<c>{layer}.rows_basis</c>) and k×m column-space basis (<c>{layer}.columns_basis</c>).
/// </summary>
public sealed class PlantedTruth : IDisposable
{
    /// <summary>File name of the ground truth inside a generated fleet folder.</summary>
    public const string FileName = "ground-truth.safetensors";

    private readonly SafetensorsFile _file;

    private PlantedTruth(SafetensorsFile file) => _file = file;

    /// <summary>Opens the ground truth of the fleet in <paramref name="fleetFolder"/>, or returns null when the fleet has none.</summary>
    public static PlantedTruth? TryOpen(string fleetFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(fleetFolder);
        var path = Path.Combine(fleetFolder, FileName);
        return File.Exists(path) ? new PlantedTruth(SafetensorsFile.Open(path)) : null;
    }

    /// <summary>
    /// sin θ_max between <paramref name="basis"/> and the planted subspace of its layer and mode (over the
    /// min(k, k_truth) principal angles), or null when the truth has no entry for the layer.
    /// </summary>
    public double? SinTheta(LayerBasis basis)
    {
        ArgumentNullException.ThrowIfNull(basis);
        var name = $"{basis.Info.Layer}.{UwsKeys.ModeName(basis.Info.Mode)}_basis";
        if (!_file.TryGetTensor(name, out var tensor) || tensor.Columns != basis.Dimension)
        {
            return null;
        }

        var truth = new float[tensor.ElementCount];
        _file.ReadTensor(name, truth);
        return SubspaceMetrics.SinThetaMax(basis.Vectors, basis.Info.Rank, truth, (int)tensor.Rows, basis.Dimension);
    }

    /// <inheritdoc />
    public void Dispose() => _file.Dispose();
}
