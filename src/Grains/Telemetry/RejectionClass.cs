namespace OrleansUws.Grains.Telemetry;

/// <summary>
/// Why a model was rejected, as a small fixed set (the <c>uws.reason</c> tag of <c>uws.models.rejected</c>; the full
/// reason stays in the registry). <see cref="RejectionClassifier"/> maps a registry reason to one.
/// </summary>
public enum RejectionClass
{
    /// <summary>The file or its header is corrupt, truncated, absent or unreadable; a tensor is missing.</summary>
    Header,

    /// <summary>A tensor's dtype is unknown or cannot be read as float32.</summary>
    DType,

    /// <summary>The model's architecture or a layer's shape differs from the fleet's.</summary>
    Shape,

    /// <summary>A value is NaN or infinite.</summary>
    NonFinite,

    /// <summary>The model was quarantined as an outlier.</summary>
    Outlier,

    /// <summary>Any other reason (e.g. a layer that does not fit the fleet's flattened settings).</summary>
    Other,
}
