using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Registry;

/// <summary>
/// Classifies what went wrong when an admitted model was fanned out to its layers: per layer, whether the slice refused the
/// model (a model fault) or the cluster failed (timeout, lost silo); for the model, the reason it stays queued.
/// </summary>
public static class FanOutFaults
{
    /// <summary>
    /// A failure is a model fault when the slice refused the data (<see cref="InvalidDataException"/>) or the request
    /// (<see cref="ArgumentException"/>): its message is the error. Anything else (timeouts, lost silos) is the cluster's
    /// fault: the error names the exception's type.
    /// </summary>
    public static (string Error, bool ModelFault) Classify(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception is InvalidDataException or ArgumentException
            ? (exception.Message, true)
            : ($"{exception.GetType().Name}: {exception.Message}", false);
    }

    /// <summary>
    /// Why a model that some layers failed to absorb stays queued, naming each failed layer and mode; null when none
    /// failed. Admission read every layer, so a model fault here means the file changed after admission; otherwise the
    /// cluster failed. Either way a re-submission completes the model (slices skip what they hold).
    /// </summary>
    public static string? Describe(IReadOnlyList<(LayerConfiguration Layer, string? Error, bool ModelFault)> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        var failures = outcomes.Where(o => o.Error is not null).ToArray();
        if (failures.Length == 0)
        {
            return null;
        }

        var reason = string.Join("; ", failures.Select(f => $"layer '{f.Layer.Layer}' ({UwsKeys.ModeName(f.Layer.Mode)}): {f.Error}"));
        return failures.Any(f => f.ModelFault)
            ? $"the file changed after admission, re-submit: {reason}"
            : $"not fully absorbed, re-submit: {reason}";
    }
}
