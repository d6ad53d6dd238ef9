namespace OrleansUws.Grains.Interfaces;

/// <summary>
/// Receives each new basis version of the layers it subscribed to (<see cref="ILayerCoordinatorGrain.SubscribeAsync"/>).
/// Create one with <c>IGrainFactory.CreateObjectReference&lt;IBasisObserver&gt;(instance)</c> and keep the instance alive.
/// </summary>
public interface IBasisObserver : IGrainObserver
{
    /// <summary>A new version was published; fetch the vectors with <see cref="ILayerCoordinatorGrain.GetBasisAsync"/>.</summary>
    void OnBasisPublished(BasisVersionInfo version);
}
