using System.Collections;

namespace OrleansUws.Grains.State;

/// <summary>
/// A slice's set of absorbed model ids (ordinal) in memory, kept compact: the ids in one sorted array, 8 bytes an id (a
/// <see cref="HashSet{T}"/> of strings takes about 30 with its growth slack, and a slice holds every model assigned to
/// it), plus a small set of the ids added since the last merge. The recent ids are merged into the array when they
/// outnumber an eighth of it (amortised O(1) an add) and whenever the sorted ids are asked for. Lookups are a hash probe
/// and a binary search. Slice states written before the ids were sealed in parts (<see cref="Absorption.SliceIdLog"/>)
/// stored the whole set in this form (the sorted array), hence the serializer attributes.
/// </summary>
[GenerateSerializer]
public sealed class ModelIdSet : IReadOnlyCollection<string>
{
    /// <summary>Recent ids merged at the latest when the array is smaller than eight times this.</summary>
    private const int RecentFloor = 64;

    [NonSerialized] private readonly HashSet<string> _recent = new(StringComparer.Ordinal);
    [NonSerialized] private string[] _sorted = []; // storage takes them through Ids

    /// <summary>Every id in ordinal order (merges the recent ones first); setting replaces the set.</summary>
    [Id(0)]
    public string[] Ids
    {
        get => Merge();
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _recent.Clear();
            _sorted = value.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        }
    }

    /// <inheritdoc />
    public int Count => _sorted.Length + _recent.Count;

    /// <summary>Whether <paramref name="modelId"/> is in the set.</summary>
    public bool Contains(string modelId) => _recent.Contains(modelId) || Array.BinarySearch(_sorted, modelId, StringComparer.Ordinal) >= 0;

    /// <summary>Adds <paramref name="modelId"/>; false when it was already in the set.</summary>
    public bool Add(string modelId)
    {
        ArgumentNullException.ThrowIfNull(modelId);
        if (Array.BinarySearch(_sorted, modelId, StringComparer.Ordinal) >= 0 || !_recent.Add(modelId))
        {
            return false;
        }

        if (_recent.Count > Math.Max(RecentFloor, _sorted.Length / 8))
        {
            Merge();
        }

        return true;
    }

    /// <summary>Removes <paramref name="modelId"/>; false when it was not in the set. O(n) for a merged id (deletions are rare).</summary>
    public bool Remove(string modelId)
    {
        if (_recent.Remove(modelId))
        {
            return true;
        }

        var index = Array.BinarySearch(_sorted, modelId, StringComparer.Ordinal);
        if (index < 0)
        {
            return false;
        }

        _sorted = [.. _sorted.AsSpan(0, index), .. _sorted.AsSpan(index + 1)];
        return true;
    }

    /// <summary>Empties the set.</summary>
    public void Clear()
    {
        _recent.Clear();
        _sorted = [];
    }

    /// <summary>The ids, the merged ones in ordinal order first, then the recent ones in no particular order.</summary>
    public IEnumerator<string> GetEnumerator() => _sorted.Concat(_recent).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Merges the recent ids into the sorted array and returns it.</summary>
    private string[] Merge()
    {
        if (_recent.Count == 0)
        {
            return _sorted;
        }

        var recent = _recent.Order(StringComparer.Ordinal).ToArray();
        var merged = new string[_sorted.Length + recent.Length];
        int i = 0, j = 0, k = 0;
        while (i < _sorted.Length && j < recent.Length)
        {
            merged[k++] = string.CompareOrdinal(_sorted[i], recent[j]) < 0 ? _sorted[i++] : recent[j++];
        }

        _sorted.AsSpan(i).CopyTo(merged.AsSpan(k));
        recent.AsSpan(j).CopyTo(merged.AsSpan(k + _sorted.Length - i));
        _recent.Clear();
        _sorted = merged;
        return merged;
    }
}
