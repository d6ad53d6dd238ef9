using OrleansUws.Grains.Coordination;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;
using OrleansUws.Numerics.Backends;

namespace OrleansUws.Grains.Flattened;

/// <summary>
/// Flattened mode: the coordinator appends each model as one row vec(W) to the layer's column slices
/// (<see cref="FlattenedLayer"/>) and counts its own persisted id set. A version is planned from the summed slice Grams;
/// its vectors stay in the column slices and the coordinator keeps their signs, assembling the basis when it is read.
/// </summary>
internal sealed class FlattenedSketchPath(IGrainFactory grains, IBlasBackend backend, LayerConfiguration layer, LayerCoordinatorState state)
    : ISketchPath
{
    /// <summary>The layer's column slices, driven through the all-or-nothing append, the shrink and the basis.</summary>
    public FlattenedLayer Layer { get; } = new(grains, backend, layer);

    /// <summary>False: the column slices' buffers move with every row, so a flattened version is solved when it is taken.</summary>
    public bool CapturesAreStable => false;

    /// <summary>The coordinator's own count.</summary>
    public int AbsorbedModels(int persisted) => state.FlattenedModelCount;

    /// <summary>Nothing to count: the coordinator appended the rows itself, so its own count is already the count.</summary>
    public ValueTask<bool> NotifyAbsorbedAsync(int slice, int sliceModelCount) => ValueTask.FromResult(true);

    /// <summary>Nothing to forget: the count is the coordinator's own, which a removal changes itself.</summary>
    public void ModelsRemoved()
    {
    }

    /// <inheritdoc />
    public Task<int> CountHeldModelsAsync() => Task.FromResult(state.FlattenedModelCount);

    /// <inheritdoc />
    public Task<VersionCapture> CaptureAsync(int cut) =>
        Task.FromResult(new VersionCapture(state.FlattenedModelCount, (previous, version) => SolveAsync(previous, version)));

    /// <inheritdoc />
    public async Task<LayerBasis> ReadBasisAsync(LayerBasis current)
    {
        var (vectors, mean) = await Layer.AssembleAsync(current.Info.Version, state.FlattenedSigns);
        return current with { Vectors = vectors, Mean = mean };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SliceInfo>> GetSlicesAsync() => await Task.WhenAll(Layer.Slices.Select(s => s.GetInfoAsync()));

    /// <inheritdoc />
    public Task UseBasisAsync(LayerBasis basis) => Task.CompletedTask; // the column slices measure no held-out capture

    /// <summary>
    /// Plans version <paramref name="version"/> from the summed slice Grams; the slices compute and keep its parts and the
    /// signs are recorded here. sin θ comes from k×k products; the version is not aligned (its vectors are never gathered).
    /// </summary>
    private async Task<SolvedVersion> SolveAsync(LayerBasis? previous, int version)
    {
        int models = state.FlattenedModelCount;
        var result = await Layer.ComputeBasisAsync(version, previous?.Info.Version ?? 0);
        state.FlattenedSigns = result.Signs;
        return new SolvedVersion(
            layer.Dimension, models, result.Plan.Rank, result.Plan.CapReached, result.Plan.ExplainedEnergy, result.Certificate,
            result.SinTheta, Centered: false, [], result.Plan.SingularValues, Mean: null, Alignment: null, Iterations: 0, Slices: []);
    }
}
