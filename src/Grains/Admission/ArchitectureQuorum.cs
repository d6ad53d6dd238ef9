using OrleansUws.Grains.Interfaces;

namespace OrleansUws.Grains.Admission;

/// <summary>
/// Agrees a fleet's architecture from its first models when none was declared: models wait here until
/// <see cref="Required"/> of them have the same architecture, which then becomes the fleet's; every waiting model is
/// released with it (one that disagrees is then rejected naming both shapes). When the wait times out, the largest group
/// wins (ties: the group whose first model arrived first). Not thread-safe: used from one grain's turns.
/// </summary>
/// <param name="required">Models that must agree (≥ 1).</param>
public sealed class ArchitectureQuorum(int required)
{
    private readonly List<Candidate> _waiting = [];
    private TaskCompletionSource<IReadOnlyDictionary<string, LayerShape>> _decided = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Models that must agree.</summary>
    public int Required { get; } = required >= 1 ? required : throw new ArgumentOutOfRangeException(nameof(required), required, "must be at least 1");

    /// <summary>Models waiting for the quorum.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>
    /// Adds a model with <paramref name="layers"/>; the task completes with the agreed architecture (possibly at once,
    /// when this model completes the quorum).
    /// </summary>
    public Task<IReadOnlyDictionary<string, LayerShape>> WaitAsync(string modelId, IReadOnlyDictionary<string, LayerShape> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var decided = _decided;
        _waiting.Add(new Candidate(modelId, layers));
        if (_waiting.Count(c => Same(c.Layers, layers)) >= Required)
        {
            Decide(layers);
        }

        return decided.Task;
    }

    /// <summary>Decides for the largest group of waiting models (no-op when none waits).</summary>
    public void DecideByMajority()
    {
        var groups = new List<(IReadOnlyDictionary<string, LayerShape> Layers, int Count)>();
        foreach (var candidate in _waiting)
        {
            var index = groups.FindIndex(g => Same(g.Layers, candidate.Layers));
            if (index < 0)
            {
                groups.Add((candidate.Layers, 1));
            }
            else
            {
                groups[index] = (groups[index].Layers, groups[index].Count + 1);
            }
        }

        if (groups.Count > 0)
        {
            // MaxBy keeps the first of equal counts: the group whose first model arrived first.
            Decide(groups.MaxBy(g => g.Count).Layers);
        }
    }

    /// <summary>Releases every waiting model with a declared architecture.</summary>
    public void Declare(IReadOnlyDictionary<string, LayerShape> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Decide(layers);
    }

    /// <summary>Whether two architectures have the same layers with the same shapes (<see cref="LayerShape.Same"/>).</summary>
    public static bool Same(IReadOnlyDictionary<string, LayerShape> a, IReadOnlyDictionary<string, LayerShape> b) => LayerShape.Same(a, b);

    private void Decide(IReadOnlyDictionary<string, LayerShape> layers)
    {
        var decided = _decided;
        _waiting.Clear();
        _decided = new(TaskCreationOptions.RunContinuationsAsynchronously);
        decided.TrySetResult(layers);
    }

    private sealed record Candidate(string ModelId, IReadOnlyDictionary<string, LayerShape> Layers);
}
