namespace OrleansUws.Grains.Interfaces;

/// <summary>Where a model stands in a fleet's registry.</summary>
public enum ModelStatus
{
    /// <summary>Accepted by the registry; its layers are being absorbed.</summary>
    Queued = 0,

    /// <summary>Every layer of the model has been absorbed by its slice grains.</summary>
    Absorbed = 1,

    /// <summary>Refused; <see cref="ModelRecord.Reason"/> says why (bad shape, corrupt file, missing layer).</summary>
    Rejected = 2,
}
