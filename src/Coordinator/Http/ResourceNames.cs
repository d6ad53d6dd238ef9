using System.Buffers;

namespace OrleansUws.Coordinator.Http;

/// <summary>Checks fleet names and model ids that arrive in URLs before they become grain keys or folder names.</summary>
public static class ResourceNames
{
    /// <summary>Longest accepted name.</summary>
    public const int MaxLength = 200;

    private static readonly SearchValues<char> Allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

    /// <summary>Null when <paramref name="value"/> is a valid name, otherwise why not (naming <paramref name="field"/>).</summary>
    public static string? Problem(string field, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{field} must not be empty";
        }

        if (value.Length > MaxLength)
        {
            return $"{field} is longer than {MaxLength} characters";
        }

        if (value is "." or ".." || value.AsSpan().ContainsAnyExcept(Allowed))
        {
            return $"{field} '{value}' may only contain letters, digits, '.', '_' and '-' (and is not '.' or '..')";
        }

        return null;
    }
}
