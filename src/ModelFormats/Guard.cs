namespace OrleansUws.ModelFormats;

/// <summary>
/// Argument checks shared by the readers. Callers test the cheap condition inline and build the message only on
/// failure, so a successful read allocates nothing.
/// </summary>
internal static class Guard
{
    /// <summary>Whether <c>[start, start + count)</c> lies inside <c>[0, limit)</c>.</summary>
    public static bool InBlock(long start, int count, long limit) => start >= 0 && count >= 0 && start <= limit - count;

    /// <summary>The exception for a block outside its matrix.</summary>
    public static ArgumentOutOfRangeException BlockOutside(string parameter, long start, int count, long limit, string what) =>
        new(parameter, $"[{start}, {start + count}) is outside the {limit} {what}.");

    /// <summary>The exception for a destination of the wrong length.</summary>
    public static ArgumentException LengthMismatch(int actual, long needed, string what) =>
        new($"Destination holds {actual} floats; {what} needs {needed}.", "destination");
}
