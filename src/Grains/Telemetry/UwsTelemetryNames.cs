namespace OrleansUws.Grains.Telemetry;

/// <summary>
/// Every name OrleansUws telemetry publishes, in one place: the meter, the ActivitySource, instrument names, tag keys
/// and span names. Dashboards and alert rules (deploy/grafana, deploy/prometheus) refer to these names; the Prometheus
/// exporter writes them with '_' for '.', a unit suffix (<c>_seconds</c>, <c>_bytes</c>, <c>_ratio</c>) and
/// <c>_total</c> on counters (docs/telemetry.md lists the exported names).
/// </summary>
public static class UwsTelemetryNames
{
    /// <summary>Meter of every OrleansUws instrument.</summary>
    public const string MeterName = "OrleansUws";

    /// <summary>ActivitySource of every OrleansUws span.</summary>
    public const string ActivitySourceName = "OrleansUws";

    /// <summary>Orleans' own meter (subscribed next to ours).</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>Orleans' ActivitySource of application grain calls (with activity propagation on).</summary>
    public const string OrleansApplicationSourceName = "Microsoft.Orleans.Application";

    /// <summary>Orleans' ActivitySource of runtime (system grain) calls.</summary>
    public const string OrleansRuntimeSourceName = "Microsoft.Orleans.Runtime";

    // ---- counters -------------------------------------------------------------------------------------------

    /// <summary>Counter {model}: models submitted to a fleet's registry (tag <see cref="FleetTag"/>).</summary>
    public const string ModelsSubmitted = "uws.models.submitted";

    /// <summary>Counter {model}: models absorbed into every layer (tag <see cref="FleetTag"/>).</summary>
    public const string ModelsAbsorbed = "uws.models.absorbed";

    /// <summary>Counter {model}: models rejected (tags <see cref="FleetTag"/>, <see cref="ReasonTag"/>: a <see cref="RejectionClass"/>).</summary>
    public const string ModelsRejected = "uws.models.rejected";

    /// <summary>Counter By: on-disk bytes of the model files absorbed (tag <see cref="FleetTag"/>).</summary>
    public const string BytesRead = "uws.bytes.read";

    /// <summary>Counter {row}: rows inserted into slice sketches (tags <see cref="FleetTag"/>, <see cref="ModeTag"/>).</summary>
    public const string RowsAbsorbed = "uws.rows.absorbed";

    /// <summary>Counter {version}: basis versions published (tags <see cref="FleetTag"/>, <see cref="ModeTag"/>).</summary>
    public const string BasisVersions = "uws.basis.versions";

    // ---- histograms -----------------------------------------------------------------------------------------

    /// <summary>Histogram s: from a model's submission to the registry to its absorption into every layer.</summary>
    public const string IngestionLatency = "uws.ingestion.latency";

    /// <summary>Histogram s: one model's layer read and appended to a slice sketch, shrinks excluded.</summary>
    public const string SketchUpdateDuration = "uws.sketch.update.duration";

    /// <summary>Histogram s: one Frequent Directions shrink of a slice sketch.</summary>
    public const string SketchShrinkDuration = "uws.sketch.shrink.duration";

    /// <summary>Histogram s: merge of the slices' sketches and computation of one basis version.</summary>
    public const string BasisComputeDuration = "uws.basis.compute.duration";

    // ---- per-layer gauges (the silo hosting the layer's coordinator reports them) ---------------------------

    /// <summary>Gauge {model}: T, models in the layer's latest basis version.</summary>
    public const string LayerModels = "uws.layer.models";

    /// <summary>Gauge {version}: number of the layer's latest basis version.</summary>
    public const string LayerVersion = "uws.layer.version";

    /// <summary>Gauge {direction}: k, rank of the latest basis.</summary>
    public const string LayerRank = "uws.layer.rank";

    /// <summary>Gauge 1: share of the sketched energy the k directions capture.</summary>
    public const string LayerExplainedEnergy = "uws.layer.explained_energy";

    /// <summary>Gauge 1: the error certificate, an upper bound on ‖AᵀA − BᵀB‖₂ (Frequent Directions: total shrinkage; Nyström: tr C − tr Ĉ; 0 for an exact Gram).</summary>
    public const string LayerCertificate = "uws.layer.certificate";

    /// <summary>Gauge 1: the certificate over σ_k² (the k-th direction's energy): below 1, the sketch's error cannot swap direction k out.</summary>
    public const string LayerCertificateRelative = "uws.layer.certificate.relative";

    /// <summary>Gauge 1: sin θ_max between the latest basis and the previous version (absent for version 1).</summary>
    public const string LayerSinTheta = "uws.layer.sin_theta";

    /// <summary>
    /// Gauge 1: held-out capture, the share of the energy of the models absorbed since the previous version that the
    /// previous basis captured (measured before they were merged in); reported once a layer measures it.
    /// </summary>
    public const string LayerHeldOutCapture = "uws.layer.heldout_capture";

    // ---- per-silo gauges ------------------------------------------------------------------------------------

    /// <summary>Gauge: 1, tagged with the BLAS backend this silo's numerics use (<see cref="BackendTag"/>).</summary>
    public const string SiloBlasBackend = "uws.silo.blas.backend";

    /// <summary>Gauge: 1 when this silo advertises a GPU, else 0.</summary>
    public const string SiloGpuPresent = "uws.silo.gpu.present";

    /// <summary>Gauge By: GPU memory this silo advertises (0 without a GPU).</summary>
    public const string SiloGpuMemory = "uws.silo.gpu.memory";

    /// <summary>UpDownCounter {grain}: slice grains active on this silo.</summary>
    public const string SiloActiveSlices = "uws.silo.slices.active";

    /// <summary>Gauge {work_item}: work items queued in this process's thread pool.</summary>
    public const string SiloThreadPoolQueueLength = "uws.silo.threadpool.queue.length";

    // ---- ingestion queue gauges (fed by the durable queue through IIngestionQueueStats) --------------------

    /// <summary>Gauge {entry}: entries in the ingestion queue (tag <see cref="QueueTag"/>).</summary>
    public const string QueueLength = "uws.queue.length";

    /// <summary>Gauge {entry}: entries delivered to a consumer but not yet acknowledged (tag <see cref="QueueTag"/>).</summary>
    public const string QueuePending = "uws.queue.pending";

    /// <summary>Counter {retry}: Redis calls of the ingestion queue that failed and are retried (tag <see cref="QueueTag"/>).</summary>
    public const string QueueRetries = "uws.queue.retries";

    /// <summary>Histogram s: the back-off waited before each retried Redis call of the ingestion queue (tag <see cref="QueueTag"/>).</summary>
    public const string QueueRetryBackoff = "uws.queue.retry.backoff";

    /// <summary>
    /// Counter {entry}: queue entries left unacknowledged after a fault of the cluster or its storage, to be retried once idle
    /// (tags <see cref="QueueTag"/>, <see cref="ReasonTag"/>: <c>submit</c>, <c>checkpoint</c> or <c>not_durable</c>).
    /// </summary>
    public const string QueueDeferred = "uws.queue.deferred";

    // ---- tags (bounded: fleets and layers are few; reasons, modes and backends are fixed sets) -------------

    /// <summary>Tag: fleet name.</summary>
    public const string FleetTag = "uws.fleet";

    /// <summary>Tag: layer id.</summary>
    public const string LayerTag = "uws.layer";

    /// <summary>Tag: sketch mode (rows, columns, flattened).</summary>
    public const string ModeTag = "uws.mode";

    /// <summary>Tag: rejection class (<see cref="RejectionClass"/>, lower-case with '_').</summary>
    public const string ReasonTag = "uws.reason";

    /// <summary>Tag: BLAS backend name.</summary>
    public const string BackendTag = "uws.backend";

    /// <summary>Tag: ingestion queue name.</summary>
    public const string QueueTag = "uws.queue";

    /// <summary>Span tag: model id (spans only, never a metric tag).</summary>
    public const string ModelTag = "uws.model";

    // ---- spans ----------------------------------------------------------------------------------------------

    /// <summary>Span: the gateway submits one model (root of the model's trace).</summary>
    public const string IngestSpan = "uws.model.ingest";

    /// <summary>Span: the registry fans one model out to its layers.</summary>
    public const string SubmitSpan = "uws.model.submit";

    /// <summary>Span: a slice reads its layer of one model and appends it to its sketch.</summary>
    public const string SliceAbsorbSpan = "uws.slice.absorb";

    /// <summary>Span: a slice writes its sketch and id set to grain storage.</summary>
    public const string SliceCheckpointSpan = "uws.slice.checkpoint";

    /// <summary>Span: a layer coordinator merges its slices and computes a basis version.</summary>
    public const string BasisComputeSpan = "uws.basis.compute";
}
