using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.Registry;
using OrleansUws.Grains.State;
using Xunit;

namespace OrleansUws.Cluster.Tests.Registry;

/// <summary>
/// The registry's record log without a cluster, on a storage that keeps serialized states as grain storage does: what is
/// recorded is what a later activation replays, field for field, whatever form the log keeps in memory.
/// </summary>
public sealed class ModelRecordLogTests
{
    private static readonly GrainId Owner = GrainId.Create("uws-fleet", "f");
    private static readonly DateTimeOffset Submitted = new(2026, 3, 1, 12, 0, 0, TimeSpan.FromHours(2));
    private const string Sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task A_reload_replays_every_record_exactly_in_submission_order()
    {
        var storage = new SerializingStorage();
        var log = new ModelRecordLog(storage, Owner);
        ModelRecord[] records =
        [
            new("m1", "/fleet/m1", ModelStatus.Absorbed, null, Submitted, Submitted.AddSeconds(3), Sha),
            new("m2", "/fleet/m2", ModelStatus.Queued, ModelRecord.WaitingInQueue, Submitted.AddTicks(7), null),
            new("m3", "/fleet/m3", ModelStatus.Rejected, "layer 'q' is 48×40, the fleet's 48×32", Submitted.ToUniversalTime(), Submitted, "ABCDEF"),
            new("m4", "/fleet/m4", ModelStatus.Absorbed, null, Submitted, Submitted, Sha.ToUpperInvariant()),
        ];
        foreach (var record in records)
        {
            await log.RecordAsync(record);
        }

        var deleted = records[0] with { Status = ModelStatus.Deleted, Reason = "deleted", CompletedAt = Submitted.AddMinutes(1) };
        await log.RecordAsync(deleted);
        ModelRecord[] expected = [deleted, .. records[1..]];

        var replayed = new ModelRecordLog(storage, Owner);
        await replayed.LoadAsync();

        foreach (var current in new[] { log, replayed })
        {
            Assert.Equal(expected, current.All());
            Assert.Equal(expected.Select(r => r.ContentHash), current.All().Select(r => r.ContentHash));
            Assert.Equal(expected.Select(r => (r.SubmittedAt.Offset, r.CompletedAt?.Offset)), current.All().Select(r => (r.SubmittedAt.Offset, r.CompletedAt?.Offset)));
            Assert.Equal(records[3], current.Get("m4"));
            Assert.Null(current.Get("m5"));
            Assert.Equal(["m4"], current.Ids(ModelStatus.Absorbed));
            Assert.Equal([records[2]], current.All(ModelStatus.Rejected));
            Assert.Equal(new ModelCounts(1, 1, 1, 0, 1), current.Counts);
        }
    }

    [Fact]
    public async Task A_compaction_stores_the_last_stored_record_of_each_id_not_a_volatile_change()
    {
        var storage = new SerializingStorage();
        var log = new ModelRecordLog(storage, Owner);
        var absorbed = new ModelRecord("kept", "/fleet/kept", ModelStatus.Absorbed, null, Submitted, Submitted, Sha);
        await log.RecordAsync(absorbed);
        log.SetVolatile(absorbed with { Status = ModelStatus.Queued, CompletedAt = null });
        log.SetVolatile(new ModelRecord("new", "/fleet/new", ModelStatus.Queued, null, Submitted, null, Sha));
        const int writes = (2 * 3) + ModelRecordLog.SegmentCapacity; // with "kept", one past the log's limit for 3 ids
        for (var i = 0; i < writes; i++)
        {
            await log.RecordAsync(new ModelRecord("busy", "/fleet/busy", ModelStatus.Queued, $"attempt {i}", Submitted, null));
        }

        Assert.Equal(2, log.Stored); // compacted: "kept" as stored and the last "busy"; "new" was never stored
        Assert.Equal(ModelStatus.Queued, log.Get("kept")!.Status);
        Assert.Equal(ModelStatus.Queued, log.Get("new")!.Status);

        var replayed = new ModelRecordLog(storage, Owner);
        await replayed.LoadAsync();
        Assert.Equal([absorbed, new ModelRecord("busy", "/fleet/busy", ModelStatus.Queued, $"attempt {writes - 1}", Submitted, null)], replayed.All());
    }

    [Fact]
    public async Task Rejections_beyond_the_kept_count_are_dropped_oldest_first_and_stay_counted_after_a_reload()
    {
        var storage = new SerializingStorage();
        var log = new ModelRecordLog(storage, Owner, rejectionsKept: 2);
        await log.RecordAsync(new ModelRecord("good", "/fleet/good", ModelStatus.Absorbed, null, Submitted, Submitted, Sha));
        foreach (var id in new[] { "bad-0", "bad-1", "odd-2", "bad-3" })
        {
            var status = id.StartsWith("odd", StringComparison.Ordinal) ? ModelStatus.Quarantined : ModelStatus.Rejected;
            await log.RecordAsync(new ModelRecord(id, $"/fleet/{id}", status, "refused", Submitted, Submitted, "not-a-sha"));
        }

        var replayed = new ModelRecordLog(storage, Owner, rejectionsKept: 2);
        await replayed.LoadAsync();
        foreach (var current in new[] { log, replayed })
        {
            Assert.Equal(["good", "odd-2", "bad-3"], current.All().Select(r => r.ModelId));
            Assert.Null(current.Get("bad-1"));
            Assert.Equal("not-a-sha", current.Get("odd-2")!.ContentHash);
            Assert.Equal(new ModelCounts(0, 1, 3, 1, 0, RejectedDropped: 2), current.Counts);
        }
    }

    [Fact]
    public async Task Segments_a_compaction_could_not_clear_are_cleared_at_the_next_activation()
    {
        var storage = new SerializingStorage();
        var log = new ModelRecordLog(storage, Owner, rejectionsKept: 1);
        await log.RecordAsync(new ModelRecord("first", "/fleet/first", ModelStatus.Absorbed, null, Submitted, Submitted, Sha));

        // The silo dies after the head switched to generation 1, before generation 0's segments were cleared.
        storage.FailClears = name => name.StartsWith("fleet-records-", StringComparison.Ordinal) && !name.StartsWith("fleet-records-g", StringComparison.Ordinal);
        var i = 0;
        var error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            for (; i < 10_000; i++)
            {
                await log.RecordAsync(new ModelRecord($"bad-{i}", $"/fleet/bad-{i}", ModelStatus.Rejected, "refused", Submitted, Submitted));
            }
        });
        Assert.Contains("fleet-records-0", error.Message, StringComparison.Ordinal);
        Assert.Contains(storage.Names, n => n.StartsWith("fleet-records-g1-", StringComparison.Ordinal));
        Assert.Contains("fleet-records-0", storage.Names);

        storage.FailClears = null;
        var replayed = new ModelRecordLog(storage, Owner, rejectionsKept: 1);
        await replayed.LoadAsync();
        Assert.DoesNotContain(storage.Names, n => n.StartsWith("fleet-records-", StringComparison.Ordinal) && !n.StartsWith("fleet-records-g1-", StringComparison.Ordinal) && n != "fleet-records-head");
        Assert.Equal(["first", $"bad-{i}"], replayed.All().Select(r => r.ModelId));
        Assert.Equal(new ModelCounts(0, 1, i + 1, RejectedDropped: i), replayed.Counts);

        // Another activation finds nothing left to clear, and appends go on in generation 1.
        await replayed.RecordAsync(new ModelRecord("after", "/fleet/after", ModelStatus.Queued, null, Submitted, null));
        var again = new ModelRecordLog(storage, Owner, rejectionsKept: 1);
        await again.LoadAsync();
        Assert.Equal(["first", $"bad-{i}", "after"], again.All().Select(r => r.ModelId));
    }

    [Fact]
    public async Task A_compaction_first_clears_what_the_last_one_could_not()
    {
        var storage = new SerializingStorage();
        var log = new ModelRecordLog(storage, Owner, rejectionsKept: 1);
        storage.FailClears = name => name.StartsWith("fleet-records-", StringComparison.Ordinal) && !name.StartsWith("fleet-records-g", StringComparison.Ordinal);
        var i = 0;
        await Assert.ThrowsAsync<IOException>(async () =>
        {
            for (; i < 10_000; i++)
            {
                await log.RecordAsync(new ModelRecord($"bad-{i}", $"/fleet/bad-{i}", ModelStatus.Rejected, "refused", Submitted, Submitted));
            }
        });

        // The same activation goes on (storage is back) through the next compaction, to generation 2.
        storage.FailClears = null;
        while (!storage.Names.Contains("fleet-records-g2-0"))
        {
            await log.RecordAsync(new ModelRecord($"bad-{++i}", $"/fleet/bad-{i}", ModelStatus.Rejected, "refused", Submitted, Submitted));
        }

        Assert.DoesNotContain(storage.Names, n => n.StartsWith("fleet-records-", StringComparison.Ordinal) && !n.StartsWith("fleet-records-g2-", StringComparison.Ordinal) && n != "fleet-records-head");
    }

    [Fact]
    public async Task Many_dropped_rejections_leave_the_kept_records_in_submission_order()
    {
        var storage = new SerializingStorage();
        var log = new ModelRecordLog(storage, Owner, rejectionsKept: 1);
        await log.RecordAsync(new ModelRecord("first", "/fleet/first", ModelStatus.Absorbed, null, Submitted, Submitted, Sha));
        for (var i = 0; i < 1_500; i++)
        {
            await log.RecordAsync(new ModelRecord($"bad-{i}", $"/fleet/bad-{i}", ModelStatus.Rejected, "refused", Submitted, Submitted));
            if (i == 700)
            {
                await log.RecordAsync(new ModelRecord("middle", "/fleet/middle", ModelStatus.Absorbed, null, Submitted, Submitted, Sha));
            }
        }

        await log.RecordAsync(new ModelRecord("last", "/fleet/last", ModelStatus.Queued, null, Submitted, null));
        var replayed = new ModelRecordLog(storage, Owner, rejectionsKept: 1);
        await replayed.LoadAsync();
        foreach (var current in new[] { log, replayed })
        {
            Assert.Equal(["first", "middle", "bad-1499", "last"], current.All().Select(r => r.ModelId));
            Assert.Equal(["first", "middle"], current.Ids(ModelStatus.Absorbed));
            Assert.Equal(Sha, current.Get("middle")!.ContentHash);
            Assert.Null(current.Get("bad-1498"));
            Assert.Equal(new ModelCounts(1, 2, 1_500, RejectedDropped: 1_499), current.Counts);
        }
    }
}
