namespace OrleansUws.Grains.Interfaces;

/// <summary>Where a slice grain runs and what it holds (status displays and placement checks).</summary>
/// <param name="Key">Grain key <c>{fleet}/{layer}/{mode}/{slice}</c>.</param>
/// <param name="Silo">Address of the silo hosting the activation.</param>
/// <param name="ModelCount">Models absorbed.</param>
/// <param name="RowCount">Rows inserted.</param>
/// <param name="SketchKind">"empty", "fd" or "exact-gram".</param>
/// <param name="PendingCheckpoint">Models (a column slice: rows) absorbed since the slice's last checkpoint: what it would lose with its silo now.</param>
[GenerateSerializer, Immutable]
public sealed record SliceInfo(
    [property: Id(0)] string Key,
    [property: Id(1)] string Silo,
    [property: Id(2)] int ModelCount,
    [property: Id(3)] long RowCount,
    [property: Id(4)] string SketchKind,
    [property: Id(5)] int PendingCheckpoint = 0);
