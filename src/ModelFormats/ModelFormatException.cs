namespace OrleansUws.ModelFormats;

/// <summary>
/// The single exception type for a defective model file: truncated, malformed header, bad tensor table,
/// inconsistent adapter, non-finite values, or a model whose architecture disagrees with its fleet.
/// The message always names the file and, where one is at fault, the tensor or layer.
/// </summary>
public sealed class ModelFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file or model folder at fault.</param>
    /// <param name="tensorName">The tensor or layer id at fault, or <see langword="null"/> when the defect is file-wide.</param>
    /// <param name="reason">What is wrong, in words.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public ModelFormatException(string filePath, string? tensorName, string reason, Exception? innerException = null)
        : base(Compose(filePath, tensorName, reason), innerException)
    {
        FilePath = filePath;
        TensorName = tensorName;
        Reason = reason;
    }

    /// <summary>The file or model folder at fault.</summary>
    public string FilePath { get; }

    /// <summary>The tensor or layer id at fault, when one is.</summary>
    public string? TensorName { get; }

    /// <summary>What is wrong, without the file and tensor prefix.</summary>
    public string Reason { get; }

    private static string Compose(string filePath, string? tensorName, string reason) =>
        tensorName is null ? $"{filePath}: {reason}" : $"{filePath}: tensor '{tensorName}': {reason}";
}
