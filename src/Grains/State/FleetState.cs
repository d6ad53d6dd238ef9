using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Options;

namespace OrleansUws.Grains.State;

/// <summary>
/// Persistent state of a <see cref="FleetGrain"/>: settings, architecture and the outlier baseline (the per-model records
/// are in <see cref="Registry.ModelRecordLog"/>).
/// </summary>
[GenerateSerializer]
public sealed class FleetState
{
    // Ids 0–5 and 9–11 held the settings field by field; they are one FleetSettings now (Id 14).

    /// <summary>
    /// The fleet's settings, null until they are fixed (declared, or taken from the defaults by the first model). The
    /// architecture in force is <see cref="Layers"/> (the settings' own is the declared one, possibly empty).
    /// </summary>
    [Id(14)] public FleetSettings? Settings { get; set; }

    /// <summary>Architecture: layer id → shape; empty until declared or set by the first model.</summary>
    [Id(6)] public Dictionary<string, LayerShape> Layers { get; set; } = [];

    // Id 7 held every model's record in this state (written whole per model); records now live in ModelRecordLog.

    /// <summary>True once every layer coordinator has been given its configuration.</summary>
    [Id(8)] public bool CoordinatorsConfigured { get; set; }

    /// <summary>The outlier baseline's norm samples per layer (saved now and then; a sample, not a record).</summary>
    [Id(12)] public Dictionary<string, List<double>> NormSamples { get; set; } = [];

    /// <summary>Models the outlier baseline has seen.</summary>
    [Id(13)] public long NormModels { get; set; }

    /// <summary>The highest version cut reserved so far (<see cref="Interfaces.IFleetGrain.ReserveCutsAsync"/>; 0: none).</summary>
    [Id(15)] public int CutsReserved { get; set; }
}
