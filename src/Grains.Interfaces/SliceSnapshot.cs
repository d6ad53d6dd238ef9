namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// A slice's sketch as the coordinator merges it (<see cref="SketchBlob"/>: the sketch itself within the silo, its binary
/// serialisation across silos) with its counts.
/// </summary>
/// <param name="Slice">Slice index.</param>
/// <param name="ModelCount">Models absorbed by the slice.</param>
/// <param name="RowCount">Rows inserted into its sketch.</param>
/// <param name="Sketch">
/// The sketch (empty when the slice has absorbed nothing, or when <paramref name="Unchanged"/>: the caller already holds
/// this revision).
/// </param>
/// <param name="Activation">The slice activation that produced the sketch; with the model count, its revision.</param>
/// <param name="Unchanged">True when the caller named this very revision, so the sketch was not shipped again.</param>
/// <param name="HeldOut">The slice's held-out capture sums (models measured before it absorbed them); sent even when unchanged.</param>
/// <param name="IndependentRows">
/// Rows of independent directions absorbed: r per LoRA adapter (its m rows span r dimensions), the rows counted otherwise;
/// the Marchenko–Pastur null's N.
/// </param>
[GenerateSerializer, Immutable]
public sealed record SliceSnapshot(
    [property: Id(0)] int Slice,
    [property: Id(1)] int ModelCount,
    [property: Id(2)] long RowCount,
    [property: Id(3)] SketchBlob Sketch,
    [property: Id(4)] Guid Activation = default,
    [property: Id(5)] bool Unchanged = false,
    [property: Id(6)] HeldOutTally? HeldOut = null,
    [property: Id(7)] long IndependentRows = 0);
