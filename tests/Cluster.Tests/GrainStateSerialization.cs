using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;

namespace OrleansUws.Cluster.Tests;

/// <summary>Orleans' serialization services for the grains' state and wire types, without a silo.</summary>
internal static class GrainStateSerialization
{
    /// <summary>Serializer, copier and session pool knowing every state and interface type.</summary>
    public static IServiceProvider Services { get; } = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(LayerSliceState).Assembly).AddAssembly(typeof(LayerBasis).Assembly))
        .BuildServiceProvider();
}
