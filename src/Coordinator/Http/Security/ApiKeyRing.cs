using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace OrleansUws.Coordinator.Http.Security;

/// <summary>
/// The accepted keys as hashes, rebuilt whenever <see cref="ApiKeyOptions"/> change (the keys file is re-read), so keys
/// rotate without a restart. A changed configuration that fails validation is logged and ignored: the previous keys
/// stay in force rather than locking everyone out (or letting everyone in). A presented key is hashed and compared
/// with every configured hash in constant time.
/// </summary>
public sealed partial class ApiKeyRing : IDisposable
{
    private readonly ILogger<ApiKeyRing> _logger;
    private readonly IDisposable? _subscription;
    private volatile Key[] _keys;

    /// <summary>Builds the ring from <paramref name="options"/>' current value and follows its changes.</summary>
    /// <exception cref="OptionsValidationException">The configuration at start is invalid; the message names every bad field.</exception>
    public ApiKeyRing(IOptionsMonitor<ApiKeyOptions> options, ILogger<ApiKeyRing> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger;
        var failures = new ApiKeyOptionsValidator().Validate(null, options.CurrentValue);
        if (failures.Failed)
        {
            throw new OptionsValidationException(ApiKeyOptions.Section, typeof(ApiKeyOptions), failures.Failures);
        }

        _keys = Build(options.CurrentValue);
        _subscription = options.OnChange(Reload);
    }

    /// <summary>How many keys are in force.</summary>
    public int Count => _keys.Length;

    /// <summary>
    /// The name and granted scopes of the configured key equal to <paramref name="presented"/>, or null. Every configured
    /// hash is compared, each in constant time, so the time taken does not depend on which key (if any) matched.
    /// </summary>
    public (string Name, IReadOnlyList<string> Scopes)? Find(string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        var byteCount = Encoding.UTF8.GetByteCount(presented);
        var bytes = byteCount <= 512 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(presented, bytes);
        SHA256.HashData(bytes, hash);
        Key? match = null;
        foreach (var key in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, key.Hash))
            {
                match = key;
            }
        }

        return match is null ? null : (match.Name, match.Scopes);
    }

    /// <summary>The lower-case hex SHA-256 of <paramref name="key"/>'s UTF-8 bytes, as configured.</summary>
    public static string HashOf(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <inheritdoc />
    public void Dispose() => _subscription?.Dispose();

    private void Reload(ApiKeyOptions options)
    {
        var failures = new ApiKeyOptionsValidator().Validate(null, options);
        if (failures.Failed)
        {
            LogRejectedReload(string.Join("; ", failures.Failures));
            return;
        }

        _keys = Build(options);
        LogReloaded(_keys.Length);
    }

    private static Key[] Build(ApiKeyOptions options) =>
        [.. options.Keys.Select(pair => new Key(pair.Key, Convert.FromHexString(pair.Value.Sha256), ApiScopes.Granted(pair.Value.Scopes)))];

    [LoggerMessage(Level = LogLevel.Information, Message = "API keys reloaded: {Count} in force")]
    private partial void LogReloaded(int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Changed API key configuration ignored, the previous keys stay in force: {Failures}")]
    private partial void LogRejectedReload(string failures);

    private sealed record Key(string Name, byte[] Hash, IReadOnlyList<string> Scopes);
}
