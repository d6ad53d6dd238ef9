namespace OrleansUws.Subspace.Bases;

/// <summary>
/// The bases of one fleet, by layer and mode: a bases folder (<c>uws run</c>'s <c>bases/</c>, <c>uws basis export</c>)
/// loaded once, or bases built in memory. At most one basis per (layer, mode).
/// </summary>
public sealed class BasisSet
{
    private readonly Dictionary<(string Layer, BasisMode Mode), LayerBasisFile> _bases = [];
    private readonly Dictionary<(string Layer, BasisMode Mode), string> _paths = [];

    /// <summary>Builds a set from bases in memory.</summary>
    /// <exception cref="ArgumentException">Two bases for one (layer, mode), or bases of different fleets.</exception>
    public BasisSet(IEnumerable<LayerBasisFile> bases, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(bases);
        Source = source ?? "memory";
        foreach (var basis in bases)
        {
            Add(basis, Source);
        }
    }

    private BasisSet(string source) => Source = source;

    /// <summary>Where the bases came from (a folder, or "memory").</summary>
    public string Source { get; }

    /// <summary>The fleet every basis belongs to; null when the set is empty.</summary>
    public string? Fleet { get; private set; }

    /// <summary>All bases, ordered by layer then mode.</summary>
    public IReadOnlyList<LayerBasisFile> All =>
        _bases.OrderBy(p => p.Key.Layer, StringComparer.Ordinal).ThenBy(p => p.Key.Mode).Select(p => p.Value).ToArray();

    /// <summary>Loads every basis file (<c>*.safetensors</c> with basis metadata) in <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="SubspaceFormatException">A basis file is defective, two files hold one (layer, mode), or the files name different fleets.</exception>
    public static BasisSet Load(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Bases folder '{folder}' does not exist.");
        }

        var set = new BasisSet(folder);
        foreach (var file in Directory.EnumerateFiles(folder, "*.safetensors").Order(StringComparer.Ordinal))
        {
            var basis = BasisFile.Read(file);
            try
            {
                set.Add(basis, file);
            }
            catch (ArgumentException e)
            {
                throw new SubspaceFormatException(file, null, e.Message, e);
            }
        }

        if (set._bases.Count == 0)
        {
            throw new SubspaceFormatException(folder, null, "the folder holds no basis files ({layer}.{mode}.safetensors)");
        }

        return set;
    }

    /// <summary>The basis of <paramref name="layer"/> in <paramref name="mode"/>, or null.</summary>
    public LayerBasisFile? Find(string layer, BasisMode mode) => _bases.GetValueOrDefault((layer, mode));

    /// <summary>The basis of <paramref name="layer"/> in <paramref name="mode"/>.</summary>
    /// <exception cref="KeyNotFoundException">Absent; the message names the layer, mode and source.</exception>
    public LayerBasisFile Get(string layer, BasisMode mode) =>
        Find(layer, mode) ?? throw new KeyNotFoundException(
            $"{Source} has no {BasisModes.Name(mode)} basis for layer '{layer}' (expected {BasisFile.FileName(layer, mode)}).");

    /// <summary>The modes of the bases held (rows, columns, flattened), each once, in enum order.</summary>
    public IReadOnlyList<BasisMode> Modes => _bases.Keys.Select(k => k.Mode).Distinct().Order().ToArray();

    /// <summary>The file a basis was loaded from ("memory" for bases built in memory).</summary>
    public string PathOf(string layer, BasisMode mode) => _paths.GetValueOrDefault((layer, mode)) ?? Source;

    /// <summary>The layers that have a basis in every one of <paramref name="modes"/>, ordered.</summary>
    public IReadOnlyList<string> LayersWith(IReadOnlyList<BasisMode> modes)
    {
        ArgumentNullException.ThrowIfNull(modes);
        return _bases.Keys.Select(k => k.Layer).Distinct().Where(l => modes.All(m => _bases.ContainsKey((l, m))))
            .Order(StringComparer.Ordinal).ToArray();
    }

    private void Add(LayerBasisFile basis, string path)
    {
        ArgumentNullException.ThrowIfNull(basis);
        basis.CheckConsistent();
        var key = (basis.Header.Layer, basis.Header.Mode);
        if (Fleet is not null && basis.Header.Fleet != Fleet)
        {
            throw new ArgumentException($"basis of layer '{basis.Header.Layer}' belongs to fleet '{basis.Header.Fleet}', the others to '{Fleet}'");
        }

        if (!_bases.TryAdd(key, basis))
        {
            throw new ArgumentException($"two bases for layer '{basis.Header.Layer}' in mode {BasisModes.Name(basis.Header.Mode)} ({_paths[key]} and {path})");
        }

        _paths[key] = path;
        Fleet = basis.Header.Fleet;
    }
}
