using System.Globalization;

namespace OrleansUws.Ingestion.Bench;

/// <summary>
/// <c>--name value</c> pairs of a benchmark's command line, each name one of those the benchmark knows; an unknown name
/// or a name without a value is refused naming it.
/// </summary>
internal sealed class BenchOptions
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <summary>Reads <paramref name="args"/>, accepting only the names in <paramref name="known"/>.</summary>
    public BenchOptions(IReadOnlyList<string> args, params string[] known)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count % 2 != 0)
        {
            throw new ArgumentException($"option '{args[^1]}' has no value");
        }

        for (var i = 0; i < args.Count; i += 2)
        {
            _values[known.Contains(args[i]) ? args[i] : throw new ArgumentException($"unknown option '{args[i]}'")] = args[i + 1];
        }
    }

    /// <summary>The value of <paramref name="name"/>, or <paramref name="otherwise"/> when it was not given.</summary>
    public string? Text(string name, string? otherwise = null) => _values.GetValueOrDefault(name, otherwise!);

    /// <summary>The integer value of <paramref name="name"/>, or <paramref name="otherwise"/> when it was not given.</summary>
    public int Integer(string name, int otherwise) =>
        _values.TryGetValue(name, out var value)
            ? int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new ArgumentException($"{name} must be an integer (got '{value}')")
            : otherwise;
}
