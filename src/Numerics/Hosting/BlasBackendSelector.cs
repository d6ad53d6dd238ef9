using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Hosting;

/// <summary>
/// Picks the <see cref="IBlasBackend"/> once: the forced provider (<see cref="BlasOptions.Backend"/> or
/// <c>UWS_BLAS</c>) or else the highest-priority provider that is available. Logs the choice and the reason
/// every other provider was skipped; <see cref="Report"/> keeps the same lines for health pages.
/// </summary>
public sealed partial class BlasBackendSelector
{
    private readonly IReadOnlyList<IBlasBackendProvider> _providers;
    private readonly BlasOptions _options;
    private readonly ILogger<BlasBackendSelector> _logger;
    private readonly Lazy<IBlasBackend> _selected;
    private readonly List<string> _report = [];

    /// <summary>Creates the selector; nothing is probed until <see cref="Selected"/> is first read.</summary>
    public BlasBackendSelector(IEnumerable<IBlasBackendProvider> providers, IOptions<BlasOptions> options, ILogger<BlasBackendSelector>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(providers);
        ArgumentNullException.ThrowIfNull(options);
        _providers = providers.OrderByDescending(p => p.Priority).ThenBy(p => p.Name, StringComparer.Ordinal).ToList();
        _options = options.Value;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<BlasBackendSelector>.Instance;
        _selected = new Lazy<IBlasBackend>(Select, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The chosen backend (probed on first access).</summary>
    public IBlasBackend Selected => _selected.Value;

    /// <summary>One line per provider considered: chosen, skipped with its reason, or not probed.</summary>
    public IReadOnlyList<string> Report
    {
        get
        {
            _ = _selected.Value;
            return _report;
        }
    }

    private IBlasBackend Select()
    {
        string wanted = _options.Backend;
        if (!string.Equals(wanted, BlasOptions.Auto, StringComparison.OrdinalIgnoreCase))
        {
            var forced = _providers.FirstOrDefault(p => string.Equals(p.Name, wanted, StringComparison.OrdinalIgnoreCase))
                ?? throw new InvalidOperationException($"BLAS backend '{wanted}' was forced but no such provider is registered (known: {string.Join(", ", _providers.Select(p => p.Name))}).");
            if (!forced.TryCreate(out var backend, out string reason) || backend is null)
            {
                throw new InvalidOperationException($"BLAS backend '{forced.Name}' was forced ({BlasOptions.EnvironmentVariable} or BlasOptions.Backend) but is unavailable: {reason}");
            }

            _report.Add($"{forced.Name}: chosen (forced): {reason}");
            LogForced(_logger, forced.Name, reason);
            return backend;
        }

        foreach (var provider in _providers)
        {
            if (provider.TryCreate(out var backend, out string reason) && backend is not null)
            {
                _report.Add($"{provider.Name}: chosen (priority {provider.Priority}): {reason}");
                LogChosen(_logger, provider.Name, provider.Priority, reason);
                foreach (var rest in _providers.SkipWhile(p => !ReferenceEquals(p, provider)).Skip(1))
                {
                    _report.Add($"{rest.Name}: not probed (lower priority {rest.Priority})");
                }

                return backend;
            }

            _report.Add($"{provider.Name}: skipped: {reason}");
            LogSkipped(_logger, provider.Name, reason);
        }

        throw new InvalidOperationException($"No BLAS backend is available: {string.Join("; ", _report)}");
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "BLAS backend {Backend} forced: {Reason}")]
    private static partial void LogForced(ILogger logger, string backend, string reason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "BLAS backend {Backend} chosen (priority {Priority}): {Reason}")]
    private static partial void LogChosen(ILogger logger, string backend, int priority, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "BLAS backend {Backend} skipped: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string backend, string reason);
}
