using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrleansUws.Grains.Telemetry;

/// <summary>
/// The cluster's own instruments, created from <see cref="IMeterFactory"/> on meter <see cref="MeterName"/>.
/// Names are constants so the telemetry set-up and dashboards can refer to them.
/// </summary>
public sealed class UwsMetrics
{
    /// <summary>Meter (and ActivitySource) name.</summary>
    public const string MeterName = "OrleansUws";

    /// <summary>Counter: models absorbed into every layer (tag <c>uws.fleet</c>).</summary>
    public const string ModelsAbsorbedName = "uws.models.absorbed";

    /// <summary>Counter: rows inserted into slice sketches (tags <c>uws.fleet</c>, <c>uws.mode</c>).</summary>
    public const string RowsAbsorbedName = "uws.rows.absorbed";

    /// <summary>Counter: models rejected (tag <c>uws.fleet</c>).</summary>
    public const string ModelsRejectedName = "uws.models.rejected";

    /// <summary>Counter: basis versions published (tags <c>uws.fleet</c>, <c>uws.mode</c>).</summary>
    public const string BasisVersionsName = "uws.basis.versions";

    /// <summary>Histogram: seconds to merge the slices and compute one basis version.</summary>
    public const string BasisComputeDurationName = "uws.basis.compute.duration";

    /// <summary>Traces of fan-out and basis computation.</summary>
    public static readonly ActivitySource ActivitySource = new(MeterName);

    private readonly Counter<long> _modelsAbsorbed;
    private readonly Counter<long> _rowsAbsorbed;
    private readonly Counter<long> _modelsRejected;
    private readonly Counter<long> _basisVersions;
    private readonly Histogram<double> _basisComputeDuration;

    /// <summary>Creates the instruments on a meter owned by <paramref name="meterFactory"/>.</summary>
    public UwsMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _modelsAbsorbed = meter.CreateCounter<long>(ModelsAbsorbedName, "{model}", "Models absorbed into every layer");
        _rowsAbsorbed = meter.CreateCounter<long>(RowsAbsorbedName, "{row}", "Rows inserted into slice sketches");
        _modelsRejected = meter.CreateCounter<long>(ModelsRejectedName, "{model}", "Models rejected");
        _basisVersions = meter.CreateCounter<long>(BasisVersionsName, "{version}", "Basis versions published");
        _basisComputeDuration = meter.CreateHistogram<double>(BasisComputeDurationName, "s", "Merge and basis computation time");
    }

    /// <summary>Records one absorbed model.</summary>
    public void ModelAbsorbed(string fleet)
    {
        if (_modelsAbsorbed.Enabled)
        {
            _modelsAbsorbed.Add(1, new KeyValuePair<string, object?>("uws.fleet", fleet));
        }
    }

    /// <summary>Records one rejected model.</summary>
    public void ModelRejected(string fleet)
    {
        if (_modelsRejected.Enabled)
        {
            _modelsRejected.Add(1, new KeyValuePair<string, object?>("uws.fleet", fleet));
        }
    }

    /// <summary>Records rows inserted by a slice.</summary>
    public void RowsAbsorbed(string fleet, string mode, long rows)
    {
        if (_rowsAbsorbed.Enabled)
        {
            _rowsAbsorbed.Add(rows, new KeyValuePair<string, object?>("uws.fleet", fleet), new KeyValuePair<string, object?>("uws.mode", mode));
        }
    }

    /// <summary>Records a published basis version and its computation time.</summary>
    public void BasisPublished(string fleet, string mode, TimeSpan duration)
    {
        if (_basisVersions.Enabled)
        {
            _basisVersions.Add(1, new KeyValuePair<string, object?>("uws.fleet", fleet), new KeyValuePair<string, object?>("uws.mode", mode));
        }

        if (_basisComputeDuration.Enabled)
        {
            _basisComputeDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("uws.fleet", fleet), new KeyValuePair<string, object?>("uws.mode", mode));
        }
    }
}
