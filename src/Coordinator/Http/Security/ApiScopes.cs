namespace OrleansUws.Coordinator.Http.Security;

/// <summary>
/// The scopes an API key can hold. They nest: <see cref="Admin"/> includes <see cref="Ingest"/>, which includes
/// <see cref="Read"/>; each name is also the name of the authorization policy that requires it.
/// </summary>
public static class ApiScopes
{
    /// <summary>Read fleets, models, layers, bases, history and the basis stream.</summary>
    public const string Read = "read";

    /// <summary>Register and upload models, project and reconstruct (everything that sends a model or costs compute).</summary>
    public const string Ingest = "ingest";

    /// <summary>Operate the fleet: compute a version on demand.</summary>
    public const string Admin = "admin";

    /// <summary>Claim type carrying a key's scopes (one claim per scope it grants, nesting expanded).</summary>
    public const string ClaimType = "uws:scope";

    /// <summary>Every scope, weakest first.</summary>
    public static readonly IReadOnlyList<string> All = [Read, Ingest, Admin];

    /// <summary>The scopes a key declared with <paramref name="declared"/> grants (a stronger scope grants the weaker ones).</summary>
    public static IReadOnlyList<string> Granted(IEnumerable<string> declared)
    {
        ArgumentNullException.ThrowIfNull(declared);
        var strongest = declared.Select(scope => IndexOf(scope)).DefaultIfEmpty(-1).Max();
        return All.Take(strongest + 1).ToArray();
    }

    /// <summary>The position of <paramref name="scope"/> in <see cref="All"/> (case-sensitive), or -1.</summary>
    public static int IndexOf(string scope) => All.IndexOf(scope);

    private static int IndexOf(this IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
