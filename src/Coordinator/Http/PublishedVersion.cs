using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Coordinator.Http;

/// <summary>A basis version as the stream published it.</summary>
/// <param name="Id">The event id: increases with every publication of the gateway process, across fleets and layers.</param>
/// <param name="Version">The version's figures.</param>
public sealed record PublishedVersion(long Id, BasisVersionInfo Version);
