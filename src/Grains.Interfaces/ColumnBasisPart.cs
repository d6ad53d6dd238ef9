namespace OrleansUws.Grains.Interfaces;

/// <summary>A column slice's columns of one basis version (signs not yet applied) and of the running mean.</summary>
/// <param name="Version">Basis version.</param>
/// <param name="Rank">k.</param>
/// <param name="Width">Columns held by the slice ((end − start)·n).</param>
/// <param name="Vectors">k×Width row-major float32.</param>
/// <param name="Mean">The slice's columns of the fleet mean vec(W̄) when the version was computed.</param>
[GenerateSerializer, Immutable]
public sealed record ColumnBasisPart(
    [property: Id(0)] int Version,
    [property: Id(1)] int Rank,
    [property: Id(2)] int Width,
    [property: Id(3)] float[] Vectors,
    [property: Id(4)] float[] Mean);
