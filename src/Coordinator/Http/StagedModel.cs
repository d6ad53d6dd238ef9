namespace OrleansUws.Coordinator.Http;

/// <summary>A received body in its own staging folder, deleted (with whatever is left in it) on dispose.</summary>
public sealed class StagedModel : IDisposable
{
    private readonly string _folder;

    internal StagedModel(string folder, string path)
    {
        _folder = folder;
        Path = path;
    }

    /// <summary>The received file (a raw body) or folder (multipart files).</summary>
    public string Path { get; }

    /// <summary>Whether the body was one raw file.</summary>
    public bool IsSingleFile => !string.Equals(Path, _folder, StringComparison.Ordinal);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
