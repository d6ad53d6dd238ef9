namespace OrleansUws.Grains.Interfaces;

/// <summary>Where a model stands in a fleet's registry.</summary>
public enum ModelStatus
{
    /// <summary>Accepted by the registry; its layers are being absorbed.</summary>
    Queued = 0,

    /// <summary>Every layer of the model has been absorbed by its slice grains.</summary>
    Absorbed = 1,

    /// <summary>Refused before any sketch changed; <see cref="ModelRecord.Reason"/> says why (bad shape, corrupt file, non-finite value, missing layer).</summary>
    Rejected = 2,

    /// <summary>
    /// Valid but far outside the fleet (a layer's norm beyond the outlier factor × the fleet's median for that layer):
    /// held back so that one outlier cannot own a basis; <see cref="ModelRecord.Reason"/> names the layer and figures.
    /// </summary>
    Quarantined = 3,

    /// <summary>
    /// Withdrawn (<see cref="IFleetGrain.DeleteAsync"/>): no layer's sketch holds it any more; <see cref="ModelRecord.Reason"/>
    /// says when and how each layer forgot it. Submitting the id again absorbs it anew.
    /// </summary>
    Deleted = 4,
}
