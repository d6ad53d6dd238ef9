namespace OrleansUws.Numerics.Sketching;

/// <summary>A serialised sketch is truncated, corrupt, of an unknown version, or inconsistent; nothing was loaded.</summary>
public sealed class SketchFormatException : Exception
{
    /// <summary>Creates the exception with a message naming the bad field.</summary>
    public SketchFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with an inner cause.</summary>
    public SketchFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an empty exception (serialisation frameworks).</summary>
    public SketchFormatException()
    {
    }
}
