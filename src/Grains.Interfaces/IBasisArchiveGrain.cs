namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// The published bases of one layer and mode (key <c>{fleet}/{layer}/{mode}</c>, the coordinator's key), kept apart from
/// the coordinator's state so that its write stays small: each version is one storage entry of k×d floats, written once
/// when it is published, and only the last <c>Uws:Cluster:BasisVersionsKept</c> versions are retained (older entries are
/// removed as new ones arrive). Flattened layers keep their vectors in their column slices: nothing is archived for them.
/// </summary>
public interface IBasisArchiveGrain : IGrainWithStringKey
{
    /// <summary>
    /// Stores <paramref name="basis"/> under its version (called by the coordinator as it publishes the version, before
    /// the version becomes visible), then removes the versions beyond the retention count, oldest first. Storing a
    /// version again replaces it. A basis without vectors (flattened mode) is ignored.
    /// </summary>
    Task ArchiveAsync(LayerBasis basis);

    /// <summary>The basis of <paramref name="version"/>, or null when it was never archived or is no longer retained.</summary>
    Task<LayerBasis?> GetAsync(int version);

    /// <summary>The versions retained now, ascending.</summary>
    Task<IReadOnlyList<int>> GetVersionsAsync();
}
