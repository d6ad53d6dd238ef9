using System.Buffers;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// A scratch buffer rented from <see cref="ArrayPool{T}.Shared"/> and returned exactly once by <see cref="Dispose"/>.
/// Use with <c>using var</c>; the rented array may be longer than <see cref="Length"/>, <see cref="Span"/> is exact.
/// </summary>
internal struct PooledArray<T> : IDisposable
{
    private T[]? _array;

    /// <summary>Rents at least <paramref name="length"/> elements; cleared when <paramref name="clear"/> is true.</summary>
    public PooledArray(int length, bool clear = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _array = ArrayPool<T>.Shared.Rent(Math.Max(length, 1));
        Length = length;
        if (clear)
        {
            System.Array.Clear(_array, 0, length);
        }
    }

    /// <summary>The usable number of elements.</summary>
    public int Length { get; }

    /// <summary>The usable elements.</summary>
    public readonly Span<T> Span => (_array ?? throw new ObjectDisposedException(nameof(PooledArray<T>))).AsSpan(0, Length);

    /// <summary>The rented array (its length may exceed <see cref="Length"/>).</summary>
    public readonly T[] Array => _array ?? throw new ObjectDisposedException(nameof(PooledArray<T>));

    /// <summary>Returns the array to the pool; later calls do nothing.</summary>
    public void Dispose()
    {
        var array = _array;
        _array = null;
        if (array is not null)
        {
            ArrayPool<T>.Shared.Return(array);
        }
    }
}
