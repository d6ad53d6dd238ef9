namespace OrleansUws.Grains.Telemetry;

/// <summary>
/// Maps the reason the registry records for a rejected model to its <see cref="RejectionClass"/>. The reasons are the
/// messages of the format library and the admission checks (docs/model-formats.md), which name the failing check:
/// "is not finite", "dtype …", "… shape …", "outlier"; an adapter of another PEFT method is <see cref="RejectionClass.Other"/>;
/// anything unreadable about the file is <see cref="RejectionClass.Header"/>.
/// A reason naming several layers is classed by its first match in the order non-finite, outlier, dtype, shape.
/// </summary>
public static class RejectionClassifier
{
    /// <summary>The tag value of each class (Prometheus-friendly: lower case, '_').</summary>
    public static string TagValue(RejectionClass value) => value switch
    {
        RejectionClass.Header => "header",
        RejectionClass.DType => "dtype",
        RejectionClass.Shape => "shape",
        RejectionClass.NonFinite => "non_finite",
        RejectionClass.Outlier => "outlier",
        _ => "other",
    };

    /// <summary>Classifies a rejection reason (null or empty: <see cref="RejectionClass.Other"/>).</summary>
    public static RejectionClass Classify(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return RejectionClass.Other;
        }

        if (Has(reason, "not finite") || Has(reason, "non-finite"))
        {
            return RejectionClass.NonFinite;
        }

        if (Has(reason, "outlier"))
        {
            return RejectionClass.Outlier;
        }

        if (Has(reason, "dtype"))
        {
            return RejectionClass.DType;
        }

        if (Has(reason, "has shape") || Has(reason, "layer shape") || Has(reason, "fleet's architecture")
            || Has(reason, "is missing from the model") || Has(reason, "does not fit fleet") || Has(reason, "no layer in common with the fleet"))
        {
            return RejectionClass.Shape;
        }

        // A well-formed adapter of another PEFT method (DoRA, AdaLoRA, IA3, …) is not a broken header.
        return Has(reason, "layer ids must not") || Has(reason, "has no layers") || Has(reason, "only LoRA adapters") || Has(reason, "only plain LoRA adapters")
            ? RejectionClass.Other
            : RejectionClass.Header;
    }

    private static bool Has(string text, string part) => text.Contains(part, StringComparison.OrdinalIgnoreCase);
}
