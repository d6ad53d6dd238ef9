namespace OrleansUws.Grains.Telemetry;

/// <summary>
/// What a silo host tells the per-silo gauges about itself (registered by the silo host; absent in a process that is
/// only a cluster client, which then reports no silo gauges).
/// </summary>
public interface ISiloTelemetrySource
{
    /// <summary>Name of the BLAS backend the numerics use (e.g. "openblas", "managed", "cuda").</summary>
    string BlasBackend { get; }

    /// <summary>Whether the silo advertises a GPU.</summary>
    bool GpuPresent { get; }

    /// <summary>GPU memory the silo advertises, bytes (0 without a GPU).</summary>
    long GpuMemoryBytes { get; }
}
