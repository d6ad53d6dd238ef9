namespace OrleansUws.Coordinator.Http.Security;

/// <summary>
/// The API keys <c>uws serve</c> accepts, keyed by a name that appears in logs and rate-limit partitions (never the
/// key itself). Only the SHA-256 of each key is configured. Bound from the configuration section <c>Uws:Api</c>
/// (e.g. <c>Uws__Api__Keys__ci__Sha256</c>) and from the keys file (<c>--keys-file</c>, same shape at its root),
/// which is re-read when it changes: keys rotate without a restart.
/// </summary>
public sealed class ApiKeyOptions
{
    /// <summary>Configuration section of the options.</summary>
    public const string Section = "Uws:Api";

    /// <summary>Name → key.</summary>
    public Dictionary<string, ApiKeyEntry> Keys { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One configured API key.</summary>
public sealed class ApiKeyEntry
{
    /// <summary>Lower- or upper-case hex SHA-256 of the key's UTF-8 bytes (64 digits), e.g. <c>printf %s "$KEY" | sha256sum</c>.</summary>
    public string Sha256 { get; set; } = string.Empty;

    /// <summary>Scopes: <c>read</c>, <c>ingest</c>, <c>admin</c> (a stronger scope grants the weaker ones).</summary>
    public List<string> Scopes { get; set; } = [];
}
