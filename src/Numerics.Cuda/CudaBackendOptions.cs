namespace OrleansUws.Numerics.Cuda;

/// <summary>Settings of the CUDA backend (section <c>Uws:Cuda</c> when bound from configuration).</summary>
public sealed class CudaBackendOptions
{
    /// <summary>Configuration section these options bind from.</summary>
    public const string SectionName = "Uws:Cuda";

    /// <summary>Ordinal of the GPU to use. Default 0.</summary>
    public int DeviceOrdinal { get; set; }

    /// <summary>
    /// Let cuBLAS run float32 GEMMs on tensor cores with TF32 inputs (10-bit mantissa): several times faster on
    /// Ampere/Hopper, with relative errors near 1e-3 instead of 1e-6. Default false, so results match the CPU
    /// backends within float32 tolerances.
    /// </summary>
    public bool AllowTensorFloat32 { get; set; }

    /// <summary>
    /// Symmetric eigen-problems of order n ≤ this run on the host (the managed solver) instead of cuSOLVER
    /// <c>syevd</c>, whose many small launches and syncs dominate for the 2ℓ×2ℓ problem of each Frequent Directions
    /// shrink when 2ℓ is small. Default 0: always on the GPU, until the GPU benchmark's eigen line (which times both)
    /// says otherwise.
    /// </summary>
    public int HostEigenMaxOrder { get; set; }

    /// <summary>
    /// Size in bytes of each of the two pinned upload slots of a sketch workspace; larger row blocks are uploaded
    /// in chunks of this size, the upload of one overlapping the device copy of the previous. A workspace pins
    /// 2 × min(this, its buffer size) of host memory and as much device memory for staging, so hundreds of
    /// small sketches per silo stay cheap. Default 4 MiB.
    /// </summary>
    public int StagingChunkBytes { get; set; } = 4 << 20;
}
