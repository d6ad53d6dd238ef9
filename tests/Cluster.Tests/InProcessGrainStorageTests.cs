using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Grains.State;
using OrleansUws.Silo.Hosting;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// The embedded silo's storage: what is stored is a copy that neither the writer's nor a reader's later changes reach,
/// immutable basis vectors are kept by reference, and versions are checked as Orleans' memory storage checks them.
/// </summary>
public sealed class InProcessGrainStorageTests
{
    private static readonly DeepCopier Copier = GrainStateSerialization.Services.GetRequiredService<DeepCopier>();

    private static readonly GrainId Grain = GrainId.Create("test", "layer-0");

    [Fact]
    public async Task A_stored_state_is_a_copy_that_later_changes_on_either_side_do_not_reach()
    {
        var storage = new InProcessGrainStorage(Copier);
        var written = new GrainState<LayerCoordinatorState>(new LayerCoordinatorState { AbsorbedModels = 7 });
        written.State!.FlattenedModelIds.Add("m1");
        await storage.WriteStateAsync("state", Grain, written);
        written.State.AbsorbedModels = 9;
        written.State.FlattenedModelIds.Add("m2");

        var read = new GrainState<LayerCoordinatorState>(new LayerCoordinatorState());
        await storage.ReadStateAsync("state", Grain, read);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(7, read.State!.AbsorbedModels);
        Assert.Equal(["m1"], read.State.FlattenedModelIds);

        read.State.FlattenedModelIds.Add("m3");
        var again = new GrainState<LayerCoordinatorState>(new LayerCoordinatorState());
        await storage.ReadStateAsync("state", Grain, again);
        Assert.Equal(["m1"], again.State!.FlattenedModelIds);
    }

    [Fact]
    public async Task An_archived_basis_keeps_its_immutable_vectors_by_reference()
    {
        var storage = new InProcessGrainStorage(Copier);
        var info = new BasisVersionInfo("f", "l", SketchMode.Rows, 3, 25, 400, 2, false, 0.9, 0, null, false, TimeSpan.Zero, DateTimeOffset.UnixEpoch, BasisTrigger.ModelCount);
        var basis = new LayerBasis(info, 4, [1, 0, 0, 0, 0, 1, 0, 0], [2, 1], null);
        await storage.WriteStateAsync("basis-v3", Grain, new GrainState<ArchivedBasisState>(new ArchivedBasisState { Basis = basis }));

        var read = new GrainState<ArchivedBasisState>(new ArchivedBasisState());
        await storage.ReadStateAsync("basis-v3", Grain, read);
        Assert.Same(basis, read.State!.Basis);
    }

    [Fact]
    public async Task Versions_are_checked_as_memory_storage_checks_them_and_a_cleared_entry_reads_as_absent()
    {
        var storage = new InProcessGrainStorage(Copier);
        var first = new GrainState<ArchivedBasisState>(new ArchivedBasisState()) { ETag = "left by a lost store" };
        await storage.WriteStateAsync("entry", Grain, first); // never written: any version is accepted
        var stale = new GrainState<ArchivedBasisState>(new ArchivedBasisState()) { ETag = first.ETag };
        await storage.WriteStateAsync("entry", Grain, first);

        var refused = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("entry", Grain, stale));
        Assert.Equal(first.ETag, refused.StoredEtag);
        Assert.Contains("'entry'", refused.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync("entry", Grain, stale));

        await storage.ClearStateAsync("entry", Grain, first);
        Assert.Null(first.ETag);
        Assert.False(first.RecordExists);
        var read = new GrainState<ArchivedBasisState>(new ArchivedBasisState());
        await storage.ReadStateAsync("entry", Grain, read);
        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("entry", Grain, stale));
        var fresh = new GrainState<ArchivedBasisState>(new ArchivedBasisState());
        await storage.WriteStateAsync("entry", Grain, fresh); // cleared: written again without a version
        Assert.True(fresh.RecordExists);
        Assert.NotNull(fresh.ETag);
    }
}
