namespace OrleansUws.Silo.Options;

/// <summary>The GPU a silo advertises (section <c>Uws:Silo:Gpu</c>); unset values are taken from the GPU probe, if any.</summary>
public sealed class UwsGpuOptions
{
    /// <summary>True/false to force; null (default) asks the probe given to the hosting extension, else false.</summary>
    public bool? Enabled { get; set; }

    /// <summary>GPU memory in bytes to advertise; null takes the probe's figure (0 without one).</summary>
    public long? MemoryBytes { get; set; }
}
