namespace OrleansUws.Subspace.Internal;

/// <summary>Enum values named by position in a list of command-line names (value i ↔ names[i]).</summary>
internal static class NameTable
{
    public static string Name<T>(IReadOnlyList<string> names, T value)
        where T : struct, Enum
    {
        int index = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
        return (uint)index < (uint)names.Count ? names[index] : throw new ArgumentOutOfRangeException(nameof(value), value, $"Unknown {typeof(T).Name}.");
    }

    public static bool TryParse<T>(IReadOnlyList<string> names, string? text, out T value)
        where T : struct, Enum
    {
        int index = -1;
        for (int i = 0; text is not null && i < names.Count; i++)
        {
            index = names[i] == text ? i : index;
        }

        value = index < 0 ? default : (T)Enum.ToObject(typeof(T), index);
        return index >= 0;
    }
}
