using Orleans.Runtime;
using Orleans.Storage;
using OrleansUws.Coordinator.Ingestion;
using OrleansUws.Grains.Interfaces;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary>
/// The client's retry of cluster faults. The faults — a duplicate registry activation losing a storage race, a silo
/// dying under a call — happen only in a narrow window of a real membership change (the SIGKILL test in
/// <c>Processes/</c> hits them now and then), so here a registry reference answers from a script of outcomes.
/// </summary>
public sealed class ClusterRetryTests
{
    private static readonly ModelReference Model = new("m-1", "/models/m-1");
    private static readonly SubmitResult Absorbed = new("m-1", ModelStatus.Absorbed, null, AlreadyKnown: false);

    [Fact]
    public async Task Cluster_faults_are_retried_until_the_registry_answers()
    {
        var fleet = new ScriptedFleet(new InconsistentStateException("version conflict"), new SiloUnavailableException("silo lost"), new TimeoutException("no reply"));
        Assert.Equal(Absorbed, await ClusterRetry.SubmitAsync(fleet, Model, TestContext.Current.CancellationToken, TimeSpan.FromMilliseconds(1)));
        Assert.Equal(4, fleet.Calls);
    }

    [Fact]
    public async Task A_request_fault_is_not_retried_and_the_last_cluster_fault_propagates()
    {
        var request = new ScriptedFleet(new ArgumentException("bad reference", "model"));
        Assert.Equal("model", (await Assert.ThrowsAsync<ArgumentException>(() => ClusterRetry.SubmitAsync(request, Model, TestContext.Current.CancellationToken, TimeSpan.FromMilliseconds(1)))).ParamName);
        Assert.Equal(1, request.Calls);

        var down = new ScriptedFleet(Enumerable.Range(0, ClusterRetry.Attempts).Select(i => (Exception)new SiloUnavailableException($"attempt {i + 1}")).ToArray());
        var last = await Assert.ThrowsAsync<SiloUnavailableException>(() => ClusterRetry.SubmitAsync(down, Model, TestContext.Current.CancellationToken, TimeSpan.FromMilliseconds(1)));
        Assert.Contains($"attempt {ClusterRetry.Attempts}", last.Message, StringComparison.Ordinal);
        Assert.Equal(ClusterRetry.Attempts, down.Calls);
    }

    /// <summary>A registry reference whose submissions throw the scripted exceptions in turn, then absorb.</summary>
    private sealed class ScriptedFleet(params Exception[] failures) : IFleetGrain
    {
        public int Calls { get; private set; }

        public Task<SubmitResult> SubmitAsync(ModelReference model)
        {
            Calls++;
            return Calls <= failures.Length ? Task.FromException<SubmitResult>(failures[Calls - 1]) : Task.FromResult(Absorbed);
        }

        public Task<SubmitResult> SubmitForCutAsync(ModelReference model, int cut) => throw new NotSupportedException();

        public Task<int> ReserveCutsAsync(int count) => throw new NotSupportedException();

        public Task<FleetDescription> ConfigureAsync(FleetConfiguration configuration) => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> RequeueLostModelsAsync() => throw new NotSupportedException();

        public Task<IReadOnlyList<string>> FlushAsync(IReadOnlyList<string> modelIds) => throw new NotSupportedException();

        public Task SliceActivatedAsync(string sliceKey) => throw new NotSupportedException();

        public Task<FleetDescription> GetDescriptionAsync() => throw new NotSupportedException();

        public Task<ModelRecord?> GetModelAsync(string modelId) => throw new NotSupportedException();

        public Task<ModelRecord> RecordQueuedAsync(ModelReference model) => throw new NotSupportedException();

        public Task<IReadOnlyList<ModelRecord>> GetModelsAsync(ModelStatus? status = null, int offset = 0, int limit = int.MaxValue) => throw new NotSupportedException();

        public Task<DeletionResult> DeleteAsync(string modelId) => throw new NotSupportedException();
    }
}
