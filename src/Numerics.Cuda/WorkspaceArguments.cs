namespace OrleansUws.Numerics.Cuda;

/// <summary>
/// Argument checks of <see cref="CudaSketchWorkspace"/>, worded as the host workspace's so that every backend
/// rejects the same calls with the same messages; run before any device work so a rejected call changes nothing.
/// </summary>
internal static class WorkspaceArguments
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless [rowOffset, rowOffset + count) lies within <paramref name="rows"/> rows.</summary>
    public static void CheckRowRange(int rowOffset, int count, int rows)
    {
        if (rowOffset < 0 || count < 0 || (long)rowOffset + count > rows)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Rows [{rowOffset}, {(long)rowOffset + count}) fall outside the workspace's {rows} rows.");
        }
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="name"/> unless it holds at least <paramref name="expected"/> elements.</summary>
    public static void CheckAtLeast(string name, int length, long expected, string shape)
    {
        if (length < expected)
        {
            throw new ArgumentException($"'{name}' has {length} elements; {shape} needs at least {expected}.", name);
        }
    }
}
