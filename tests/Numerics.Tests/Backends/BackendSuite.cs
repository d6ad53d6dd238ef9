using System.Collections.Concurrent;
using OrleansUws.Numerics.Backends;
using Xunit;

namespace OrleansUws.Numerics.Tests.Backends;

/// <summary>
/// The backend-agnostic suite (kernels, sketches, basis) instantiated once per backend in TestBackends.cs.
/// Split over partial files by topic; every test reads <see cref="Backend"/>, which skips when the backend
/// cannot run here or is excluded by <c>UWS_TEST_BACKENDS</c>.
/// </summary>
public abstract partial class BackendSuite(IBlasBackendProvider provider)
{
    private static readonly ConcurrentDictionary<string, (IBlasBackend? Backend, string Reason)> Probed = new();

    /// <summary>The backend under test (probed once per provider name).</summary>
    protected IBlasBackend Backend
    {
        get
        {
            string? only = Environment.GetEnvironmentVariable("UWS_TEST_BACKENDS");
            if (!string.IsNullOrWhiteSpace(only)
                && !only.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(provider.Name, StringComparer.OrdinalIgnoreCase))
            {
                Assert.Skip($"Backend '{provider.Name}' is not in UWS_TEST_BACKENDS='{only}'.");
            }

            var (backend, reason) = Probed.GetOrAdd(provider.Name, _ => provider.TryCreate(out var b, out string r) ? (b, r) : (null, r));
            if (backend is null)
            {
                Assert.Skip($"Backend '{provider.Name}' is unavailable here: {reason}");
            }

            return backend;
        }
    }

    /// <summary>Relative Frobenius difference ‖a − b‖_F / ‖b‖_F.</summary>
    protected static double RelativeError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }

        return Math.Sqrt(diff / Math.Max(norm, double.Epsilon));
    }

    protected static double[] Widen(ReadOnlySpan<float> x) => x.ToArray().Select(v => (double)v).ToArray();
}
