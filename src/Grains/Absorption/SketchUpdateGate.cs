using Microsoft.Extensions.Options;
using OrleansUws.Grains.Options;

namespace OrleansUws.Grains.Absorption;

/// <summary>
/// Bounds how many sketch updates and basis computations run at once on this silo (across all its grains). A silo
/// hosts layers × modes × slices grains; letting each run its BLAS work concurrently oversubscribes the cores (every
/// BLAS call may start its own threads) and makes each absorb many times slower. Default: one per processor.
/// </summary>
public sealed class SketchUpdateGate : IDisposable
{
    private readonly SemaphoreSlim _slots;

    /// <summary>Creates the gate with <see cref="UwsClusterOptions.MaxConcurrentSketchUpdates"/> slots (0 = processor count).</summary>
    public SketchUpdateGate(IOptions<UwsClusterOptions> options)
    {
        var configured = options.Value.MaxConcurrentSketchUpdates;
        Slots = configured > 0 ? configured : Environment.ProcessorCount;
        _slots = new SemaphoreSlim(Slots, Slots);
    }

    /// <summary>The number of updates allowed at once.</summary>
    public int Slots { get; }

    /// <summary>Waits for a slot; dispose the result (once) to give it back.</summary>
    public async Task<Slot> EnterAsync(CancellationToken cancellationToken = default)
    {
        await _slots.WaitAsync(cancellationToken);
        return new Slot(_slots);
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    /// <summary>One held slot of the gate.</summary>
    public sealed class Slot : IDisposable
    {
        private SemaphoreSlim? _owner;

        internal Slot(SemaphoreSlim owner) => _owner = owner;

        /// <inheritdoc />
        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release();
    }
}
