using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Safetensors;

namespace OrleansUws.Subspace.Internal;

/// <summary>The safetensors plumbing basis and coefficient files share: opening, checked reads, the target folder.</summary>
internal static class SubspaceFiles
{
    /// <summary>Opens <paramref name="path"/>; a missing or unreadable file is a <see cref="SubspaceFormatException"/> naming it.</summary>
    public static SafetensorsFile Open(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new SubspaceFormatException(path, null, $"{what} does not exist");
        }

        try
        {
            return SafetensorsFile.Open(path);
        }
        catch (ModelFormatException e)
        {
            throw new SubspaceFormatException(path, null, $"not a readable safetensors file: {e.Reason}", e);
        }
    }

    /// <summary>Reads tensor <paramref name="name"/>; a non-finite value is a <see cref="SubspaceFormatException"/> naming the tensor and element.</summary>
    public static void ReadChecked(SafetensorsFile file, string path, string name, Span<float> values)
    {
        try
        {
            file.ReadTensor(name, values); // rejects non-finite values, naming the element
        }
        catch (ModelFormatException e)
        {
            throw new SubspaceFormatException(path, name, e.Reason, e);
        }
    }

    /// <summary>Creates the folder <paramref name="path"/> will be written into.</summary>
    public static void CreateFolderOf(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
    }
}
