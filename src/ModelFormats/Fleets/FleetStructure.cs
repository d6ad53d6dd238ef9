namespace OrleansUws.ModelFormats.Fleets;

/// <summary>Whether a generated fleet carries planted shared structure.</summary>
public enum FleetStructure
{
    /// <summary>Per layer a shared k-dimensional subspace, a fleet mean, per-model coefficients and noise; ground truth written.</summary>
    Planted,

    /// <summary>Independent Gaussian entries, no shared structure (a null fleet for diagnostics); no ground truth.</summary>
    Random,
}
