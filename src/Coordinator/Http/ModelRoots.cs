namespace OrleansUws.Coordinator.Http;

/// <summary>
/// Confines registration by path to configured folders. A location is accepted when, with every symbolic link on
/// the way resolved, it lies inside one of the roots (themselves resolved). A '..' segment is refused outright; a
/// relative location is taken relative to the first root. Every refusal gives the same answer whether or not the
/// target exists, so the API cannot be used to probe the server's file system.
/// </summary>
public sealed class ModelRoots
{
    /// <summary>The one answer to a location outside the roots (it does not say whether the target exists).</summary>
    public const string Refusal = "location must lie inside a model root: no '..', no absolute path elsewhere, no link leading out";

    private const int MaxLinkDepth = 40;

    private readonly string[] _roots;

    /// <summary>Resolves <paramref name="roots"/> (existing folders) once.</summary>
    public ModelRoots(IEnumerable<string> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        _roots = roots.Select(root => RealPath(Path.GetFullPath(root), 0) ?? throw new ArgumentException($"model root '{root}' has a link cycle", nameof(roots))).ToArray();
    }

    /// <summary>Whether any root is configured.</summary>
    public bool IsEmpty => _roots.Length == 0;

    /// <summary>The resolved roots.</summary>
    public IReadOnlyList<string> Roots => _roots;

    /// <summary>The location's real path when it lies inside a root, otherwise null.</summary>
    public string? Resolve(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (_roots.Length == 0 || location.Length == 0 || location.Contains('\0', StringComparison.Ordinal)
            || location.Split('/', '\\').Any(segment => segment == ".."))
        {
            return null;
        }

        var full = Path.IsPathRooted(location) ? Path.GetFullPath(location) : Path.GetFullPath(location, _roots[0]);
        var real = RealPath(full, 0);
        return real is not null && _roots.Any(root => IsInside(real, root)) ? real : null;
    }

    private static bool IsInside(string path, string root) =>
        path.Length > root.Length
        && path.StartsWith(root, StringComparison.Ordinal)
        && (root.EndsWith(Path.DirectorySeparatorChar) || path[root.Length] == Path.DirectorySeparatorChar);

    /// <summary>
    /// <paramref name="full"/> with every link resolved, component by component (a link's target may itself pass
    /// through links); components that do not exist are kept as they are (they cannot be links). Null on a link cycle.
    /// </summary>
    private static string? RealPath(string full, int depth)
    {
        if (depth > MaxLinkDepth)
        {
            return null;
        }

        var root = Path.GetPathRoot(full) ?? string.Empty;
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            FileSystemInfo info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                var resolved = Path.GetFullPath(target, current);
                next = RealPath(resolved, depth + 1);
                if (next is null)
                {
                    return null;
                }
            }

            current = next;
        }

        return current;
    }
}
