using Orleans.Storage;
using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.State;
using Xunit;

namespace OrleansUws.Cluster.Tests.Registry;

/// <summary>
/// A slice's id set as it is stored, without a cluster: after any sequence of adds, removals, re-adds, checkpoints,
/// checkpoints cut off between the sealed part and the state or between the state and the clearing of superseded parts,
/// and restarts, a fresh activation reads exactly the set the
/// last written state stood for, no written state holds a full part of open ids or more removed ids than their bound,
/// and no part of a superseded generation stays in storage.
/// </summary>
public sealed class SliceIdLogTests
{
    private static readonly GrainId Slice = GrainId.Create("uws-slice", "f/q/rows/0");

    [Fact]
    public async Task A_reload_reads_the_set_of_the_last_written_state_through_removals_and_cut_off_checkpoints()
    {
        var storage = new SerializingStorage();
        var random = new Random(31);
        var (log, persisted) = await ActivateAsync(storage);
        var live = new HashSet<string>(StringComparer.Ordinal);
        var durable = new HashSet<string>(StringComparer.Ordinal);
        int checkpoints = 0, cutOff = 0, afterState = 0, reloads = 0, sealedMax = 0, generations = 0;
        for (var step = 0; step < 12_000; step++)
        {
            var id = $"m-{random.Next(1_500):D4}";
            var roll = random.Next(100);
            if (roll < 60)
            {
                Assert.Equal(live.Add(id), log.Add(persisted.State!, id));
            }
            else if (roll < 85)
            {
                Assert.Equal(live.Remove(id), log.Remove(persisted.State!, id));
            }
            else if (roll < 88)
            {
                // Cut off after the state was written, before the parts it superseded were cleared: the next activation
                // clears them.
                await log.SealAsync(persisted.State!);
                await storage.WriteStateAsync("slice", Slice, persisted);
                durable = [.. live];
                afterState++;
                (log, persisted) = await ActivateAsync(storage);
                live = [.. durable];
                Assert.All(storage.Names.Where(n => n != "slice"), n => Assert.True(Generation(n) >= persisted.State!.IdGeneration, $"{n} left behind after a restart"));
            }
            else if (roll < 95)
            {
                // A checkpoint: the sealed part first, then the state that counts it.
                await log.SealAsync(persisted.State!);
                await storage.WriteStateAsync("slice", Slice, persisted);
                await log.AfterWriteAsync(persisted.State!);
                durable = [.. live];
                checkpoints++;
                sealedMax = Math.Max(sealedMax, persisted.State!.SealedIdSegments);
                generations = Math.Max(generations, persisted.State!.IdGeneration);
                Assert.InRange(persisted.State!.OpenIds.Count, 0, SliceIdLog.SegmentIds - 1);
                Assert.InRange(persisted.State!.RemovedIds.Count, 0, Math.Max(SliceIdLog.SegmentIds, persisted.State!.SealedIdSegments * SliceIdLog.SegmentIds / 8) - 1);
                Assert.All(storage.Names.Where(n => n != "slice"), n => Assert.True(Generation(n) >= persisted.State!.IdGeneration, $"{n} left behind"));
            }
            else if (roll < 98)
            {
                // Cut off after the sealed part was written: the state on record is the previous one.
                await log.SealAsync(persisted.State!);
                cutOff++;
                (log, persisted) = await ActivateAsync(storage);
                live = [.. durable];
            }
            else
            {
                (log, persisted) = await ActivateAsync(storage);
                live = [.. durable];
                reloads++;
            }

            Assert.Equal(live.Count, log.Count);
            Assert.True(log.Contains(id) == live.Contains(id), id);
        }

        await log.SealAsync(persisted.State!);
        await storage.WriteStateAsync("slice", Slice, persisted);
        (log, _) = await ActivateAsync(storage);
        Assert.Equal(live.Order(StringComparer.Ordinal), log.Ordered());
        Assert.True(
            checkpoints > 600 && cutOff > 200 && afterState > 200 && reloads > 120 && sealedMax > 8 && generations >= 4,
            $"{checkpoints} checkpoints, {cutOff} cut off, {afterState} cut off after the state, {reloads} reloads, {sealedMax} parts, {generations} generations");
    }

    [Fact]
    public async Task Removed_ids_past_their_bound_are_folded_into_a_new_generation_of_parts()
    {
        var storage = new SerializingStorage();
        var (log, persisted) = await ActivateAsync(storage);
        for (var i = 0; i < 3 * SliceIdLog.SegmentIds; i++)
        {
            log.Add(persisted.State!, $"m-{i:D3}");
        }

        await log.SealAsync(persisted.State!);
        await storage.WriteStateAsync("slice", Slice, persisted);
        Assert.Equal((0, 1, 0), (persisted.State!.IdGeneration, persisted.State!.SealedIdSegments, persisted.State!.OpenIds.Count));

        // 63 removals from the sealed part are kept as removed ids; the 64th folds them in at its checkpoint.
        for (var i = 0; i < SliceIdLog.SegmentIds; i++)
        {
            Assert.True(log.Remove(persisted.State!, $"m-{3 * i:D3}"));
            await log.SealAsync(persisted.State!);
            await storage.WriteStateAsync("slice", Slice, persisted);
            await log.AfterWriteAsync(persisted.State!);
            Assert.Equal(i < SliceIdLog.SegmentIds - 1 ? (0, i + 1) : (1, 0), (persisted.State!.IdGeneration, persisted.State!.RemovedIds.Count));
        }

        // 128 ids left: two full parts of the new generation, nothing open, the first generation's part gone.
        Assert.Equal((2, 0), (persisted.State!.SealedIdSegments, persisted.State!.OpenIds.Count));
        Assert.Equal(["slice", "slice-ids-g1-0", "slice-ids-g1-1"], storage.Names.Order(StringComparer.Ordinal));
        (log, persisted) = await ActivateAsync(storage);
        var expected = Enumerable.Range(0, 3 * SliceIdLog.SegmentIds).Where(i => i % 3 != 0).Select(i => $"m-{i:D3}");
        Assert.Equal(expected, log.Ordered());
    }

    [Fact]
    public async Task A_cleared_set_removes_its_sealed_parts_and_starts_again_from_the_first()
    {
        var storage = new SerializingStorage();
        var (log, persisted) = await ActivateAsync(storage);
        for (var i = 0; i < 3 * SliceIdLog.SegmentIds; i++)
        {
            log.Add(persisted.State!, $"m-{i}");
            await log.SealAsync(persisted.State!);
        }

        await storage.WriteStateAsync("slice", Slice, persisted);
        Assert.Equal((3, 4), (persisted.State!.SealedIdSegments, storage.Count));

        await log.ClearAsync(persisted.State!, () => storage.WriteStateAsync("slice", Slice, persisted));
        Assert.Equal((0, 0, 1), (log.Count, persisted.State!.SealedIdSegments, storage.Count));

        log.Add(persisted.State!, "again");
        await log.SealAsync(persisted.State!);
        await storage.WriteStateAsync("slice", Slice, persisted);
        (log, _) = await ActivateAsync(storage);
        Assert.Equal(["again"], log.Ordered());
    }

    /// <summary>The generation a part's entry name belongs to (<c>slice-ids-{n}</c>: 0, <c>slice-ids-g{g}-{n}</c>: g).</summary>
    private static int Generation(string name) =>
        name.StartsWith("slice-ids-g", StringComparison.Ordinal) ? int.Parse(name.Split('-')[2][1..], System.Globalization.CultureInfo.InvariantCulture) : 0;

    /// <summary>What a slice activation does: reads its state, then the id set the state stands for.</summary>
    private static async Task<(SliceIdLog Log, GrainState<LayerSliceState> State)> ActivateAsync(SerializingStorage storage)
    {
        var persisted = new GrainState<LayerSliceState>(new LayerSliceState());
        await storage.ReadStateAsync("slice", Slice, persisted);
        var log = new SliceIdLog(storage, Slice);
        await log.LoadAsync(persisted.State!);
        return (log, persisted);
    }
}
