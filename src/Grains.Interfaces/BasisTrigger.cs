namespace OrleansUws.Grains.Interfaces;

/// <summary>What caused a basis version to be computed.</summary>
public enum BasisTrigger
{
    /// <summary>The "every N absorbed models" policy (<see cref="BasisPolicy.EveryModels"/>).</summary>
    ModelCount = 0,

    /// <summary>The periodic policy (<see cref="BasisPolicy.Interval"/>).</summary>
    Timer = 1,

    /// <summary>An explicit <see cref="ILayerCoordinatorGrain.ComputeNowAsync"/> call.</summary>
    OnDemand = 2,

    /// <summary>Models were deleted (<see cref="ILayerCoordinatorGrain.ModelsRemovedAsync"/>): the version excludes them.</summary>
    Deletion = 3,
}
