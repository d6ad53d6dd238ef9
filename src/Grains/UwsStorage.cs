using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace OrleansUws.Grains;

/// <summary>Names shared by the grains and the silo that hosts them.</summary>
public static class UwsStorage
{
    /// <summary>Name of the grain storage provider every UWS grain persists to (memory by default, Redis when configured).</summary>
    public const string Name = "uws";

    /// <summary>
    /// The storage provider <see cref="Name"/> from a grain's services: what a grain uses for entries of its own beside
    /// its persistent state (sealed parts, archived bases, record segments).
    /// </summary>
    public static IGrainStorage Of(IServiceProvider services) => services.GetRequiredKeyedService<IGrainStorage>(Name);

    /// <summary>
    /// DI key of the <see cref="TimeProvider"/> the grains use for their periodic policy and timestamps
    /// (the system clock by default; tests register a fake one under this key).
    /// </summary>
    public const string TimeProviderKey = "uws";
}
