namespace OrleansUws.ModelFormats;

/// <summary>The layers of one model: sorted list, lookup by id, and architecture.</summary>
/// <typeparam name="TSource">What each layer is read from.</typeparam>
internal sealed class LayerTable<TSource>
{
    private readonly Dictionary<string, (LayerInfo Info, TSource Source)> _byId;
    private readonly string _path;

    /// <summary>Builds the table; two entries with one layer id are a defect of the model.</summary>
    public LayerTable(string path, IEnumerable<(LayerInfo Info, TSource Source)> layers)
    {
        _path = path;
        _byId = new Dictionary<string, (LayerInfo, TSource)>(StringComparer.Ordinal);
        foreach ((LayerInfo info, TSource source) in layers)
        {
            if (!_byId.TryAdd(info.LayerId, (info, source)))
            {
                throw new ModelFormatException(path, info.LayerId, "two tensors map to this layer id");
            }
        }

        Layers = _byId.Values.Select(v => v.Info).OrderBy(l => l.LayerId, StringComparer.Ordinal).ToArray();
        Architecture = new ModelArchitecture(Layers.ToDictionary(l => l.LayerId, l => l.Shape));
    }

    /// <summary>The layers sorted by id.</summary>
    public IReadOnlyList<LayerInfo> Layers { get; }

    /// <summary>Layer id → shape.</summary>
    public ModelArchitecture Architecture { get; }

    /// <summary>Looks a layer up, naming it when absent.</summary>
    public (LayerInfo Info, TSource Source) Get(string layerId) =>
        _byId.TryGetValue(layerId, out var entry) ? entry : throw new ModelFormatException(_path, layerId, "the model has no such layer");
}
