using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Coordination;

/// <summary>
/// How one layer's models reach its coordinator, chosen once when the layer is configured (<see cref="SketchPaths.For"/>):
/// row/column slices that each keep a sketch (<see cref="SlicedSketchPath"/>), or one flattened layer whose rows the
/// coordinator appends to its column slices (<see cref="Flattened.FlattenedSketchPath"/>). The coordinator counts, merges,
/// solves and publishes through this contract without asking which mode it runs.
/// </summary>
internal interface ISketchPath
{
    /// <summary>
    /// Whether a captured version may be solved later (<see cref="ILayerCoordinatorGrain.CaptureVersionAsync"/>): true when
    /// a capture is a copy of the slices' state, false when the slices go on changing it (then a capture is solved at once).
    /// </summary>
    bool CapturesAreStable { get; }

    /// <summary>Models the layer holds as far as the coordinator knows, never below <paramref name="persisted"/>.</summary>
    int AbsorbedModels(int persisted);

    /// <summary>
    /// Takes a report that slice <paramref name="slice"/> holds <paramref name="sliceModelCount"/> models; false when the
    /// report names no slice of the layer (then it changes nothing and starts no version).
    /// </summary>
    ValueTask<bool> NotifyAbsorbedAsync(int slice, int sliceModelCount);

    /// <summary>
    /// Models were removed from the layer (a deletion): the counts the slices reported are no longer maxima of what they
    /// hold, so forget them; the next capture or notification reads them again.
    /// </summary>
    void ModelsRemoved();

    /// <summary>Asks the slices how many models they hold now (the periodic policy's check).</summary>
    Task<int> CountHeldModelsAsync();

    /// <summary>
    /// Takes a version's input from the slices: the model count it covers and how to solve it; as of the version
    /// <paramref name="cut"/> where the path keeps cuts (<see cref="ILayerSliceGrain.GetSnapshotSinceAsync"/>; 0: now).
    /// </summary>
    Task<VersionCapture> CaptureAsync(int cut);

    /// <summary>The basis as its users read it (a flattened layer assembles its vectors from the column slices).</summary>
    Task<LayerBasis> ReadBasisAsync(LayerBasis current);

    /// <summary>Where each slice of the layer runs and what it holds.</summary>
    Task<IReadOnlyList<SliceInfo>> GetSlicesAsync();

    /// <summary>
    /// Hands a newly published basis to the grains that measure each model's held-out capture before absorbing it (the
    /// slices, <see cref="ILayerSliceGrain.UseBasisAsync"/>); a flattened layer measures none.
    /// </summary>
    Task UseBasisAsync(LayerBasis basis);
}

/// <summary>A version's input, taken from the slices: the models it covers and how to solve it against the previous basis.</summary>
/// <param name="Models">T: models the slices held when it was taken.</param>
/// <param name="SolveAsync">Merges the input and computes version number <c>version</c> from the previous basis (null for the first).</param>
internal sealed record VersionCapture(int Models, Func<LayerBasis?, int, Task<SolvedVersion>> SolveAsync);

/// <summary>A solved version, before the coordinator stamps and publishes it.</summary>
/// <param name="Dimension">d: length of each basis vector.</param>
/// <param name="RowCount">Rows merged into the version.</param>
/// <param name="Rank">k.</param>
/// <param name="RankCapped">Whether k was limited by the policy's cap.</param>
/// <param name="ExplainedEnergy">Share of the sketch's energy the k vectors capture.</param>
/// <param name="Certificate">FD error certificate.</param>
/// <param name="SinThetaToPrevious">sin θ to the previous version; null for the first.</param>
/// <param name="Centered">Whether the basis is about the fleet mean.</param>
/// <param name="Vectors">k×d row-major vectors (empty where the slices keep them).</param>
/// <param name="SingularValues">The k singular values, descending.</param>
/// <param name="Mean">The fleet mean row when tracked.</param>
/// <param name="Alignment">The Procrustes rotation applied, or null when not aligned.</param>
/// <param name="Iterations">Basis solver iterations (diagnostics).</param>
/// <param name="Slices">The slice snapshots merged (their held-out sums and independent rows complete the version's figures); empty for a flattened layer.</param>
internal sealed record SolvedVersion(
    int Dimension, long RowCount, int Rank, bool RankCapped, double ExplainedEnergy, double Certificate, double? SinThetaToPrevious,
    bool Centered, float[] Vectors, double[] SingularValues, float[]? Mean, double[]? Alignment, int Iterations,
    IReadOnlyCollection<SliceSnapshot> Slices);
