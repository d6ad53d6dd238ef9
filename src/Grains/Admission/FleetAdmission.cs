using Microsoft.Extensions.Logging;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;

namespace OrleansUws.Grains.Admission;

/// <summary>
/// Judges a model that <see cref="IModelAdmissionGrain"/> read in full against one fleet, before any sketch changes: the
/// read's own problem, then its architecture (the declared one, or the one its first models agree on through
/// <see cref="ArchitectureQuorum"/>), then its layer norms against the fleet's <see cref="LayerNormBaseline"/>. Not
/// thread-safe: used from one grain's turns (awaits only while a quorum forms).
/// </summary>
/// <param name="fleet">The fleet's name (for messages and logs).</param>
/// <param name="baseline">The fleet's norm baseline, restored from its state.</param>
/// <param name="quorumWait">How long models wait for a quorum before the largest group wins.</param>
/// <param name="logger">Where the quorum's outcome is logged.</param>
public sealed partial class FleetAdmission(string fleet, LayerNormBaseline baseline, TimeSpan quorumWait, ILogger logger)
{
    private ArchitectureQuorum? _quorum;

    /// <summary>The fleet's norm baseline (persisted by the registry now and then).</summary>
    public LayerNormBaseline Baseline { get; } = baseline ?? throw new ArgumentNullException(nameof(baseline));

    /// <summary>
    /// The fleet was (re)configured: models waiting for a quorum are judged against <paramref name="declared"/> when it
    /// names layers, and the next undeclared architecture starts a new quorum.
    /// </summary>
    public void Reconfigured(IReadOnlyDictionary<string, LayerShape> declared)
    {
        ArgumentNullException.ThrowIfNull(declared);
        if (declared.Count > 0)
        {
            _quorum?.Declare(declared);
        }

        _quorum = null;
    }

    /// <summary>
    /// The verdict on <paramref name="model"/>: null when it may be absorbed, else Rejected (a problem with the file or its
    /// architecture) or Quarantined (an outlier) with the reason. When the fleet has no architecture yet, waits for the
    /// quorum and fixes the agreed one in <paramref name="state"/> (whose settings are fixed), persisted through
    /// <paramref name="saveAsync"/>.
    /// </summary>
    public async Task<(ModelStatus Status, string Reason)?> JudgeAsync(
        ModelReference model, AdmissionResult admission, FleetState state, Func<Task> saveAsync)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(admission);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(saveAsync);
        if (admission.Problem is not null)
        {
            return (ModelStatus.Rejected, admission.Problem);
        }

        // The architecture may have been agreed while this model was being read without one: check it either way.
        var mismatch = state.Layers.Count == 0
            ? await AgreeArchitectureAsync(model, admission.Layers, state, saveAsync)
            : AdmissionRules.Mismatch(state.Layers, admission.Layers, model.Location);
        if (mismatch is not null)
        {
            return (ModelStatus.Rejected, mismatch);
        }

        var outlier = Baseline.Judge(admission.LayerNorms, state.Settings!.OutlierFactor);
        return outlier is null ? null : (ModelStatus.Quarantined, $"{model.Location}: {outlier}");
    }

    /// <summary>
    /// Waits until the fleet's first models agree on an architecture (or the wait ends and most of them win), then fixes
    /// it. Returns why <paramref name="model"/> does not fit it, or null.
    /// </summary>
    private async Task<string?> AgreeArchitectureAsync(
        ModelReference model, IReadOnlyDictionary<string, LayerShape> layers, FleetState state, Func<Task> saveAsync)
    {
        var settings = state.Settings ?? throw new InvalidOperationException($"Fleet '{fleet}' has no settings yet.");
        var quorum = _quorum ??= new ArchitectureQuorum(settings.ArchitectureQuorum);
        var agreed = quorum.WaitAsync(model.ModelId, layers);
        if (!agreed.IsCompleted && await Task.WhenAny(agreed, Task.Delay(quorumWait)) != agreed)
        {
            LogQuorumTimedOut(logger, fleet, quorum.Waiting, quorum.Required);
            quorum.DecideByMajority();
        }

        var architecture = await agreed;
        if (state.Layers.Count == 0)
        {
            var failures = AdmissionRules.FlattenedFit(settings, architecture);
            if (failures is not null)
            {
                return $"{model.Location}: the agreed architecture does not fit fleet '{fleet}' in flattened mode: {failures}";
            }

            state.Layers = new Dictionary<string, LayerShape>(architecture);
            await saveAsync();
            LogArchitectureAgreed(logger, fleet, state.Layers.Count, quorum.Required);
        }

        return AdmissionRules.Mismatch(state.Layers, layers, model.Location);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fleet {Fleet}: architecture of {LayerCount} layers agreed by {Quorum} models")]
    private static partial void LogArchitectureAgreed(ILogger logger, string fleet, int layerCount, int quorum);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Fleet {Fleet}: {Waiting} models waited for {Quorum} to agree on an architecture; the largest group wins")]
    private static partial void LogQuorumTimedOut(ILogger logger, string fleet, int waiting, int quorum);
}
