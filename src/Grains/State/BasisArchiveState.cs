using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.State;

/// <summary>Persistent index of a <see cref="Archive.BasisArchiveGrain"/>: the versions whose entries are retained.</summary>
[GenerateSerializer]
public sealed class BasisArchiveState
{
    /// <summary>Retained versions, ascending; each has a storage entry <c>basis-v{version}</c> of the archive grain.</summary>
    [Id(0)] public List<int> Versions { get; set; } = [];
}

/// <summary>One archived version: a storage entry of a <see cref="Archive.BasisArchiveGrain"/>.</summary>
[GenerateSerializer]
public sealed class ArchivedBasisState
{
    /// <summary>The basis as published.</summary>
    [Id(0)] public LayerBasis? Basis { get; set; }
}
