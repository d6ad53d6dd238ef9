namespace OrleansUws.ModelFormats;

/// <summary>Argument checks shared by the readers: block ranges and destination lengths.</summary>
internal static class Guard
{
    /// <summary>Throws unless <c>[start, start + count)</c> lies inside <c>[0, limit)</c>.</summary>
    public static void Block(long start, int count, long limit, string parameter, string what)
    {
        if (start < 0 || count < 0 || start > limit - count)
        {
            throw new ArgumentOutOfRangeException(parameter, $"[{start}, {start + count}) is outside the {limit} {what}.");
        }
    }

    /// <summary>Throws unless the destination holds exactly <paramref name="needed"/> floats.</summary>
    public static void Length(Span<float> destination, long needed, string what)
    {
        if (destination.Length != needed)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats; {what} needs {needed}.", nameof(destination));
        }
    }
}
