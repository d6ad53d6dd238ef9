namespace OrleansUws.Grains.Absorption;

/// <summary>
/// When a slice grain writes its sketch to grain storage: after every <c>every</c> absorbed models
/// (<see cref="Options.UwsClusterOptions.SliceCheckpointEveryModels"/>, at least 1), <c>interval</c> after the first
/// model pending (<see cref="Options.UwsClusterOptions.SliceCheckpointIntervalSeconds"/>; the grain arms a timer when
/// <see cref="OpensWindow"/>), whichever comes first, and at deactivation when models are pending. Shared by the model
/// slices and the column slices of flattened layers.
/// </summary>
/// <param name="every">Models between checkpoints; values below 1 mean 1.</param>
/// <param name="interval">Longest time a model stays pending; zero or less = no time trigger.</param>
internal sealed class CheckpointCadence(int every, TimeSpan interval = default)
{
    private readonly int _every = Math.Max(1, every);

    /// <summary>Longest time a model stays pending before the grain's timer checkpoints; zero = no time trigger.</summary>
    public TimeSpan Interval { get; } = interval > TimeSpan.Zero ? interval : TimeSpan.Zero;

    /// <summary>
    /// True right after the first model since the last checkpoint was counted (and no checkpoint is due by count): the
    /// moment to arm the time trigger.
    /// </summary>
    public bool OpensWindow => Pending == 1 && !Due && Interval > TimeSpan.Zero;

    /// <summary>Models absorbed since the last checkpoint.</summary>
    public int Pending { get; private set; }

    /// <summary>Whether enough models are pending for a checkpoint.</summary>
    public bool Due => Pending >= _every;

    /// <summary>Counts one absorbed model.</summary>
    public void Record() => Pending++;

    /// <summary>Marks everything pending as written.</summary>
    public void Written() => Pending = 0;

    /// <summary>
    /// At deactivation: runs <paramref name="checkpoint"/> when models are pending; a failure (e.g. in-memory storage
    /// already gone while the silo stops) is reported to <paramref name="lost"/> with the pending count, not thrown. With
    /// durable storage this is the loss a cadence above 1 accepts: the registry lists these models, the stored sketch lacks them.
    /// </summary>
    public async Task FlushAsync(Func<Task> checkpoint, Action<int, string> lost)
    {
        if (Pending == 0)
        {
            return;
        }

        try
        {
            await checkpoint();
        }
        catch (Exception ex)
        {
            lost(Pending, ex.Message);
        }
    }
}
