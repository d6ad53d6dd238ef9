namespace OrleansUws.Subspace;

/// <summary>
/// A basis or coefficient file that cannot be used: missing or malformed metadata, a tensor of the wrong shape, or
/// coefficients computed against another basis (fleet, mode or version). The message names the file and, where one
/// is at fault, the layer or field.
/// </summary>
public sealed class SubspaceFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file at fault.</param>
    /// <param name="field">The layer, tensor or metadata field at fault; null when the defect is file-wide.</param>
    /// <param name="reason">What is wrong, in words.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public SubspaceFormatException(string filePath, string? field, string reason, Exception? innerException = null)
        : base(field is null ? $"{filePath}: {reason}" : $"{filePath}: '{field}': {reason}", innerException)
    {
        FilePath = filePath;
        Field = field;
        Reason = reason;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The layer, tensor or metadata field at fault, when one is.</summary>
    public string? Field { get; }

    /// <summary>What is wrong, without the file and field prefix.</summary>
    public string Reason { get; }
}
