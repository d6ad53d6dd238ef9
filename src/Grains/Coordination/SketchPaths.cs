using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Flattened;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;
using OrleansUws.Grains.Telemetry;
using OrleansUws.Numerics.Basis;
using OrleansUws.Numerics.Sketching;

namespace OrleansUws.Grains.Coordination;

/// <summary>Chooses a layer's <see cref="ISketchPath"/> from its mode: the one place the coordinator's mode is tested.</summary>
internal static class SketchPaths
{
    /// <summary>The path of <paramref name="layer"/>: flattened, or row/column slices.</summary>
    public static ISketchPath For(
        LayerConfiguration layer, IGrainFactory grains, CovarianceSketchFactory sketches, SubspaceBasisSolver solver,
        SketchWorkers workers, LayerGaugeStore gauges, LayerCoordinatorState state) =>
        layer.Mode == SketchMode.Flattened
            ? new FlattenedSketchPath(grains, sketches.Backend, layer, state)
            : new SlicedSketchPath(grains, layer, sketches, solver, workers, gauges);
}
