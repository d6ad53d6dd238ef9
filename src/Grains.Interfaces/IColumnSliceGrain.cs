namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// One column slice of a layer in flattened mode (key <c>{fleet}/{layer}/flattened/{slice}</c>): holds columns
/// [start·n, end·n) of every model's vec(W) (rows [start, end) of W, see <see cref="LayerShape.RowBlock"/>) in a 2ℓ-row
/// Frequent Directions buffer shared row for row with the layer's other slices. Driven only by the layer's coordinator,
/// which owns the order: stage (read and validate) on every slice, then commit on every slice or discard everywhere;
/// shrink with the plan of the summed Grams. Placed on GPU silos when there are any.
/// </summary>
public interface IColumnSliceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Reads this slice's row block of the layer from <paramref name="model"/> (a LoRA update is materialised for the
    /// block only: s·B[start:end]·A) and holds it as the staged row number <paramref name="sequence"/>; the sketch is not
    /// touched. A bad file, missing tensor, wrong shape or non-finite value throws <see cref="InvalidDataException"/>
    /// naming it; a sequence out of step with the rows the slice holds throws <see cref="InvalidOperationException"/>.
    /// Returns the rows buffered before the staged one (2ℓ: a shrink failed earlier and must run before the commit).
    /// </summary>
    Task<int> StageAsync(ModelReference model, LayerConfiguration layer, long sequence);

    /// <summary>Appends the staged row <paramref name="sequence"/> to the buffer; returns the rows now buffered.</summary>
    /// <exception cref="InvalidOperationException">No row with that sequence is staged.</exception>
    Task<int> CommitAsync(long sequence);

    /// <summary>Drops the staged row <paramref name="sequence"/>, if any (another slice refused the model).</summary>
    Task DiscardAsync(long sequence);

    /// <summary>This slice's share B_sB_sᵀ of the buffer's Gram, with its energy and counts.</summary>
    Task<ColumnSliceGram> GetGramAsync();

    /// <summary>Applies the coordinated shrink planned from the summed Grams.</summary>
    /// <exception cref="ArgumentException">The plan does not cover the rows the slice holds (the slice is unchanged).</exception>
    Task ShrinkAsync(ColumnShrink shrink);

    /// <summary>
    /// Computes and keeps this slice's columns of basis version <see cref="ColumnBasisRequest.Version"/> from the
    /// planned coefficients; returns the k×k products with itself and with the part of the previous version, and the
    /// peaks that fix the signs.
    /// </summary>
    Task<ColumnBasisSummary> ComputeBasisPartAsync(ColumnBasisRequest request);

    /// <summary>This slice's columns of basis version <paramref name="version"/> (unsigned) and of the mean at that version.</summary>
    /// <exception cref="InvalidOperationException">The slice does not hold that version.</exception>
    Task<ColumnBasisPart> GetBasisPartAsync(int version);

    /// <summary>Where the slice runs and what it holds.</summary>
    Task<SliceInfo> GetInfoAsync();

    /// <summary>
    /// Checkpoints now when rows were committed since the last checkpoint; returns the rows the checkpoint holds. A failing
    /// write throws and leaves the rows pending.
    /// </summary>
    Task<long> FlushAsync();

    /// <summary>
    /// Empties the slice's sketch (and any staged row) and writes that to storage, keeping its basis parts so that the
    /// published versions stay readable: the coordinator then appends the layer's remaining models again
    /// (<see cref="ILayerCoordinatorGrain.RebuildFlattenedAsync"/>).
    /// </summary>
    Task ResetAsync();
}
