using System.Diagnostics;
using System.Diagnostics.Metrics;
using OrleansUws.Grains.Interfaces;
using N = OrleansUws.Grains.Telemetry.UwsTelemetryNames;

namespace OrleansUws.Grains.Telemetry;

/// <summary>
/// The cluster's own instruments (names in <see cref="UwsTelemetryNames"/>), created from <see cref="IMeterFactory"/>
/// on meter <see cref="MeterName"/>: counters and histograms the grains record into with one call each, and observable
/// gauges that read state at collection time (the <see cref="LayerGaugeStore"/> the coordinators update, the
/// <see cref="IngestionQueueStatsRegistry"/>, the silo's <see cref="ISiloTelemetrySource"/>, the thread pool).
/// Tags are bounded: fleet, layer and mode (as many as the fleets' layers), a <see cref="RejectionClass"/>, a backend name.
/// </summary>
public sealed class UwsMetrics
{
    /// <summary>Meter name (<see cref="UwsTelemetryNames.MeterName"/>).</summary>
    public const string MeterName = N.MeterName;

    /// <summary>Spans of ingestion, absorption, checkpoints and basis computation (<see cref="UwsTelemetryNames.ActivitySourceName"/>).</summary>
    public static readonly ActivitySource ActivitySource = new(N.ActivitySourceName);

    /// <summary>Histogram bucket bounds for durations, seconds: 0.5 ms to 5 min.</summary>
    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly Counter<long> _submitted;
    private readonly Counter<long> _absorbed;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _bytesRead;
    private readonly Counter<long> _rows;
    private readonly Counter<long> _versions;
    private readonly Histogram<double> _ingestionLatency;
    private readonly Histogram<double> _sketchUpdate;
    private readonly Histogram<double> _sketchShrink;
    private readonly Histogram<double> _basisCompute;
    private readonly UpDownCounter<long> _activeSlices;
    private readonly Counter<long> _queueRetries;
    private readonly Histogram<double> _queueBackoff;
    private readonly Counter<long> _queueDeferred;

    /// <summary>Creates the instruments on a meter owned by <paramref name="meterFactory"/>.</summary>
    /// <param name="meterFactory">The host's meter factory.</param>
    /// <param name="layers">The per-layer figures the coordinators on this silo publish.</param>
    /// <param name="queues">The ingestion queues of this process.</param>
    /// <param name="silo">The silo's backend and GPU (none in a client-only process: no silo gauges).</param>
    public UwsMetrics(IMeterFactory meterFactory, LayerGaugeStore layers, IngestionQueueStatsRegistry queues, IEnumerable<ISiloTelemetrySource> silo)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(queues);
        ArgumentNullException.ThrowIfNull(silo);
        Layers = layers;
        var meter = meterFactory.Create(MeterName);
        _submitted = meter.CreateCounter<long>(N.ModelsSubmitted, "{model}", "Models submitted to a fleet's registry");
        _absorbed = meter.CreateCounter<long>(N.ModelsAbsorbed, "{model}", "Models absorbed into every layer");
        _rejected = meter.CreateCounter<long>(N.ModelsRejected, "{model}", "Models rejected, by reason class");
        _bytesRead = meter.CreateCounter<long>(N.BytesRead, "By", "On-disk bytes of the model files absorbed");
        _rows = meter.CreateCounter<long>(N.RowsAbsorbed, "{row}", "Rows inserted into slice sketches");
        _versions = meter.CreateCounter<long>(N.BasisVersions, "{version}", "Basis versions published");
        _ingestionLatency = Seconds(meter, N.IngestionLatency, "From a model's submission to its absorption into every layer");
        _sketchUpdate = Seconds(meter, N.SketchUpdateDuration, "Read and append of one model's layer into a slice sketch, shrinks excluded");
        _sketchShrink = Seconds(meter, N.SketchShrinkDuration, "One Frequent Directions shrink of a slice sketch");
        _basisCompute = Seconds(meter, N.BasisComputeDuration, "Merge of the slice sketches and computation of one basis version");
        _activeSlices = meter.CreateUpDownCounter<long>(N.SiloActiveSlices, "{grain}", "Slice grains active on this silo");
        _queueRetries = meter.CreateCounter<long>(N.QueueRetries, "{retry}", "Redis calls of the ingestion queue retried after a failure");
        _queueBackoff = Seconds(meter, N.QueueRetryBackoff, "Back-off before a retried Redis call of the ingestion queue");
        _queueDeferred = meter.CreateCounter<long>(N.QueueDeferred, "{entry}", "Ingestion queue entries left unacknowledged after a cluster or storage fault, retried once idle");

        meter.CreateObservableGauge(N.LayerModels, () => LayerValues(f => f.Version.ModelCount), "{model}", "T: models in the layer's latest basis version");
        meter.CreateObservableGauge(N.LayerVersion, () => LayerValues(f => f.Version.Version), "{version}", "The layer's latest basis version");
        meter.CreateObservableGauge(N.LayerRank, () => LayerValues(f => f.Version.Rank), "{direction}", "k: rank of the latest basis");
        meter.CreateObservableGauge(N.LayerExplainedEnergy, () => LayerValues(f => f.Version.ExplainedEnergy), "1", "Share of the sketched energy the k directions capture");
        meter.CreateObservableGauge(N.LayerCertificate, () => LayerValues(f => f.Version.Certificate), "1", "Frequent Directions certificate: bound on the sketch's covariance error (spectral norm)");
        meter.CreateObservableGauge(N.LayerCertificateRelative, () => LayerValues(f => f.CertificateRelative), "1", "The certificate over σ_k²");
        meter.CreateObservableGauge(N.LayerSinTheta, () => LayerValues(f => f.Version.SinThetaToPrevious), "1", "sin θ_max between the latest basis and the previous version");
        meter.CreateObservableGauge(N.LayerHeldOutCapture, () => LayerValues(f => f.HeldOutCapture), "1", "Energy share of newly arrived models that the previous basis captured");

        meter.CreateObservableGauge(N.QueueLength, () => queues.Read().Select(q => new Measurement<long>(q.Figures.Length, Tag(N.QueueTag, q.Queue))), "{entry}", "Entries in the ingestion queue not yet done");
        meter.CreateObservableGauge(N.QueuePending, () => queues.Read().Select(q => new Measurement<long>(q.Figures.Pending, Tag(N.QueueTag, q.Queue))), "{entry}", "Entries delivered but not yet acknowledged");
        meter.CreateObservableGauge(N.SiloThreadPoolQueueLength, () => ThreadPool.PendingWorkItemCount, "{work_item}", "Work items queued in the thread pool");
        if (silo.FirstOrDefault() is { } source)
        {
            meter.CreateObservableGauge(N.SiloBlasBackend, () => new Measurement<int>(1, Tag(N.BackendTag, source.BlasBackend)), "1", "The BLAS backend in use (value 1, tagged)");
            meter.CreateObservableGauge(N.SiloGpuPresent, () => source.GpuPresent ? 1 : 0, "1", "1 when this silo advertises a GPU");
            meter.CreateObservableGauge(N.SiloGpuMemory, () => source.GpuMemoryBytes, "By", "GPU memory this silo advertises");
        }
    }

    /// <summary>The per-layer figures the gauges report.</summary>
    public LayerGaugeStore Layers { get; }

    /// <summary>Records a model submitted to the registry of <paramref name="fleet"/>.</summary>
    public void ModelSubmitted(string fleet)
    {
        if (_submitted.Enabled)
        {
            _submitted.Add(1, Tag(N.FleetTag, fleet));
        }
    }

    /// <summary>
    /// Records a model absorbed into every layer: the count, the time since its submission and the on-disk size of its
    /// file (or of the <c>*.safetensors</c> files of its folder).
    /// </summary>
    public void ModelAbsorbed(string fleet, string location, TimeSpan sinceSubmitted)
    {
        var tag = Tag(N.FleetTag, fleet);
        if (_absorbed.Enabled)
        {
            _absorbed.Add(1, tag);
        }

        if (_ingestionLatency.Enabled)
        {
            _ingestionLatency.Record(Math.Max(0, sinceSubmitted.TotalSeconds), tag);
        }

        if (_bytesRead.Enabled && FileBytes(location) is { } bytes)
        {
            _bytesRead.Add(bytes, tag);
        }
    }

    /// <summary>Records a rejected model, tagged with the class of <paramref name="reason"/> (<see cref="RejectionClassifier"/>).</summary>
    public void ModelRejected(string fleet, string reason)
    {
        if (_rejected.Enabled)
        {
            _rejected.Add(1, Tag(N.FleetTag, fleet), Tag(N.ReasonTag, RejectionClassifier.TagValue(RejectionClassifier.Classify(reason))));
        }
    }

    /// <summary>Records a Redis call of ingestion queue <paramref name="queue"/> that failed and is retried after <paramref name="backoff"/>.</summary>
    public void QueueRetried(string queue, TimeSpan backoff)
    {
        if (_queueRetries.Enabled || _queueBackoff.Enabled)
        {
            var tag = Tag(N.QueueTag, queue);
            _queueRetries.Add(1, tag);
            _queueBackoff.Record(backoff.TotalSeconds, tag);
        }
    }

    /// <summary>
    /// Records <paramref name="entries"/> entries of ingestion queue <paramref name="queue"/> left unacknowledged for a retry,
    /// because of <paramref name="reason"/> (a fixed word: <c>submit</c>, <c>checkpoint</c>, <c>not_durable</c>).
    /// </summary>
    public void QueueDeferred(string queue, string reason, int entries)
    {
        if (_queueDeferred.Enabled && entries > 0)
        {
            _queueDeferred.Add(entries, Tag(N.QueueTag, queue), Tag(N.ReasonTag, reason));
        }
    }

    /// <summary>Records rows inserted into a sketch without timing (flattened mode's coordinator).</summary>
    public void RowsAbsorbed(string fleet, string mode, long rows)
    {
        if (_rows.Enabled)
        {
            _rows.Add(rows, Tag(N.FleetTag, fleet), Tag(N.ModeTag, mode));
        }
    }

    /// <summary>Records a slice's sketch update started with <paramref name="timing"/>: rows, update time and shrink times.</summary>
    public void SketchUpdated(string fleet, string mode, long rows, SketchUpdateTiming timing)
    {
        var (elapsed, shrinks, shrinkTime) = timing.Stop();
        KeyValuePair<string, object?>[] tags = [Tag(N.FleetTag, fleet), Tag(N.ModeTag, mode)];
        RowsAbsorbed(fleet, mode, rows);
        if (_sketchUpdate.Enabled)
        {
            _sketchUpdate.Record(Math.Max(0, (elapsed - shrinkTime).TotalSeconds), tags);
        }

        if (_sketchShrink.Enabled && shrinks > 0)
        {
            var each = shrinkTime.TotalSeconds / shrinks;
            for (var i = 0; i < shrinks; i++)
            {
                _sketchShrink.Record(each, tags);
            }
        }
    }

    /// <summary>
    /// Records a published basis version: the version counter, its computation time, and the layer's gauges
    /// (<paramref name="singularValues"/>: the basis's σ, for the certificate relative to σ_k²).
    /// </summary>
    public void BasisPublished(BasisVersionInfo info, ReadOnlySpan<double> singularValues)
    {
        ArgumentNullException.ThrowIfNull(info);
        var mode = UwsKeys.ModeName(info.Mode);
        if (_versions.Enabled)
        {
            _versions.Add(1, Tag(N.FleetTag, info.Fleet), Tag(N.ModeTag, mode));
        }

        if (_basisCompute.Enabled)
        {
            _basisCompute.Record(info.ComputeDuration.TotalSeconds, Tag(N.FleetTag, info.Fleet), Tag(N.ModeTag, mode));
        }

        Layers.Publish(info, singularValues);
    }

    /// <summary>Stops reporting a layer's gauges from this silo (its coordinator deactivated).</summary>
    public void LayerDeactivated(string coordinatorKey)
    {
        if (coordinatorKey.Split('/') is [var fleet, var layer, var mode])
        {
            Layers.Remove(fleet, layer, UwsKeys.ParseMode(mode));
        }
    }

    /// <summary>Counts a slice grain activated on this silo.</summary>
    public void SliceActivated() => _activeSlices.Add(1);

    /// <summary>Counts a slice grain deactivated on this silo.</summary>
    public void SliceDeactivated() => _activeSlices.Add(-1);

    private IEnumerable<Measurement<double>> LayerValues(Func<LayerFigures, double?> value)
    {
        foreach (var figures in Layers.Snapshot())
        {
            if (value(figures) is { } v && double.IsFinite(v))
            {
                var info = figures.Version;
                yield return new Measurement<double>(v, Tag(N.FleetTag, info.Fleet), Tag(N.LayerTag, info.Layer), Tag(N.ModeTag, UwsKeys.ModeName(info.Mode)));
            }
        }
    }

    private static Histogram<double> Seconds(Meter meter, string name, string description) =>
        meter.CreateHistogram(name, "s", description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    /// <summary>Size of a model file, or of the safetensors files of a model folder; null when it cannot be read.</summary>
    private static long? FileBytes(string location)
    {
        try
        {
            if (File.Exists(location))
            {
                return new FileInfo(location).Length;
            }

            return Directory.Exists(location)
                ? new DirectoryInfo(location).EnumerateFiles("*.safetensors").Sum(f => f.Length)
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
