using Microsoft.Extensions.Options;

namespace OrleansUws.Grains.Options;

/// <summary>Validates <see cref="UwsClusterOptions"/>, reporting every invalid field at once.</summary>
public sealed class UwsClusterOptionsValidator : IValidateOptions<UwsClusterOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, UwsClusterOptions options)
    {
        const string prefix = UwsClusterOptions.SectionName + ":";
        var failures = new List<string>();
        FleetSettingsRules.ValidateSliceCount(options.SliceCount, prefix, failures);
        FleetSettingsRules.ValidateSliceCount(options.FlattenedSliceCount, prefix + "Flattened", failures);
        var sketch = options.ToSketchSettings();
        FleetSettingsRules.Validate(sketch, prefix, failures);
        var intervalValid = !double.IsNaN(options.IntervalSeconds) && options.IntervalSeconds >= 0 && options.IntervalSeconds <= TimeSpan.MaxValue.TotalSeconds;
        if (!intervalValid)
        {
            failures.Add($"{prefix}IntervalSeconds must be a non-negative number of seconds (was {options.IntervalSeconds}).");
        }

        // The other basis fields are checked even when the interval is invalid (ToBasisPolicy reads it as zero).
        FleetSettingsRules.Validate(options.ToBasisPolicy(), sketch, prefix, failures);

        if (options.SliceCheckpointEveryModels < 0)
        {
            failures.Add($"{prefix}SliceCheckpointEveryModels must not be negative (was {options.SliceCheckpointEveryModels}).");
        }

        if (options.SliceCheckpointIntervalSeconds is { } interval && !(interval >= 0 && interval <= TimeSpan.MaxValue.TotalSeconds))
        {
            failures.Add($"{prefix}SliceCheckpointIntervalSeconds must be a non-negative number of seconds (was {interval}).");
        }

        if (options.OpenModelFiles < 1)
        {
            failures.Add($"{prefix}OpenModelFiles must be at least 1 (was {options.OpenModelFiles}).");
        }

        if (options.MaxConcurrentSketchUpdates < 0)
        {
            failures.Add($"{prefix}MaxConcurrentSketchUpdates must not be negative (was {options.MaxConcurrentSketchUpdates}).");
        }

        if (options.ArchitectureQuorum < 1)
        {
            failures.Add($"{prefix}ArchitectureQuorum must be at least 1 (was {options.ArchitectureQuorum}).");
        }

        if (!(options.ArchitectureQuorumWaitSeconds > 0 && options.ArchitectureQuorumWaitSeconds <= TimeSpan.MaxValue.TotalSeconds))
        {
            failures.Add($"{prefix}ArchitectureQuorumWaitSeconds must be a positive number of seconds (was {options.ArchitectureQuorumWaitSeconds}).");
        }

        FleetSettingsRules.ValidateOutlierFactor(options.OutlierFactor, prefix, failures);

        if (options.BasisVersionsKept < 1)
        {
            failures.Add($"{prefix}BasisVersionsKept must be at least 1, the current version (was {options.BasisVersionsKept}).");
        }

        if (options.RejectionRecordsKept < 1)
        {
            failures.Add($"{prefix}RejectionRecordsKept must be at least 1 (was {options.RejectionRecordsKept}).");
        }

        if (options.ObserverExpiry <= TimeSpan.Zero)
        {
            failures.Add($"{prefix}ObserverExpiry must be positive (was {options.ObserverExpiry}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
