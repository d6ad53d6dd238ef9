using System.IO.Hashing;
using System.Text;

namespace OrleansUws.Grains.Admission;

/// <summary>
/// The fleet's typical norm per layer, for outlier quarantine: a bounded reservoir of the norms of absorbed models per
/// layer (at most <see cref="Capacity"/>, replaced by a hash of the model id so the sample does not depend on timing),
/// its median the reference. Costs O(layers) per model whatever the fleet's size. Not thread-safe.
/// </summary>
public sealed class LayerNormBaseline
{
    /// <summary>Norms kept per layer.</summary>
    public const int Capacity = 63;

    /// <summary>Absorbed models needed before any model is judged.</summary>
    public const int MinimumModels = 8;

    private readonly Dictionary<string, List<double>> _samples;

    /// <summary>Creates a baseline from persisted samples (or empty).</summary>
    public LayerNormBaseline(Dictionary<string, List<double>>? samples = null, long models = 0)
    {
        _samples = samples ?? new Dictionary<string, List<double>>(StringComparer.Ordinal);
        Models = models;
    }

    /// <summary>Absorbed models recorded.</summary>
    public long Models { get; private set; }

    /// <summary>The samples, for persistence.</summary>
    public Dictionary<string, List<double>> Samples => _samples;

    /// <summary>
    /// The reason to quarantine a model with <paramref name="norms"/>: the first layer (by id) whose norm exceeds
    /// <paramref name="factor"/> × that layer's median; null when none does, when <paramref name="factor"/> is 0, or while
    /// fewer than <see cref="MinimumModels"/> models were recorded.
    /// </summary>
    public string? Judge(IReadOnlyDictionary<string, double> norms, double factor)
    {
        ArgumentNullException.ThrowIfNull(norms);
        if (factor <= 0 || Models < MinimumModels)
        {
            return null;
        }

        foreach (var (layer, norm) in norms.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (_samples.TryGetValue(layer, out var sample) && sample.Count > 0)
            {
                var median = Median(sample);
                if (norm > factor * median)
                {
                    return $"layer '{layer}': norm {norm:G4} is {norm / median:G3}× the fleet's median {median:G4} (quarantine above {factor:G}×)";
                }
            }
        }

        return null;
    }

    /// <summary>Records the norms of an absorbed model.</summary>
    public void Add(string modelId, IReadOnlyDictionary<string, double> norms)
    {
        ArgumentNullException.ThrowIfNull(norms);
        Models++;
        var slot = (long)(XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(modelId)) % (ulong)Models);
        foreach (var (layer, norm) in norms)
        {
            if (!_samples.TryGetValue(layer, out var sample))
            {
                _samples[layer] = sample = new List<double>(Capacity);
            }

            if (sample.Count < Capacity)
            {
                sample.Add(norm);
            }
            else if (slot < Capacity)
            {
                sample[(int)slot] = norm;   // reservoir sampling (Algorithm R) with the id's hash as the draw
            }
        }
    }

    private static double Median(List<double> sample)
    {
        var sorted = sample.ToArray();
        Array.Sort(sorted);
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
