namespace OrleansUws.Grains.Interfaces;

/// <summary>Outcome of <see cref="ILayerSliceGrain.AbsorbAsync"/>.</summary>
/// <param name="ModelId">Model id.</param>
/// <param name="AlreadyAbsorbed">True when the slice had absorbed this id before: nothing changed.</param>
/// <param name="RowsAdded">Rows inserted into the sketch (r for a rank-r adapter, m or n for a full weight).</param>
/// <param name="SliceModelCount">Models absorbed by this slice after the call.</param>
/// <param name="Durable">
/// True when the model is in the slice's last checkpoint (the absorb made one, or it was already absorbed and
/// checkpointed); false while it lives in memory only — <see cref="ILayerSliceGrain.FlushAsync"/> makes it durable.
/// </param>
[GenerateSerializer, Immutable]
public sealed record AbsorbResult(
    [property: Id(0)] string ModelId,
    [property: Id(1)] bool AlreadyAbsorbed,
    [property: Id(2)] int RowsAdded,
    [property: Id(3)] int SliceModelCount,
    [property: Id(4)] bool Durable = false);
