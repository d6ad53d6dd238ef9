using System.Buffers;

namespace OrleansUws.Numerics.Cuda;

/// <summary>A host scratch array rented from <see cref="ArrayPool{T}.Shared"/> and returned exactly once on dispose.</summary>
internal sealed class PooledArray<T> : IDisposable
{
    private T[]? _array;

    /// <summary>Rents at least <paramref name="length"/> elements.</summary>
    public PooledArray(int length)
    {
        Length = length;
        _array = ArrayPool<T>.Shared.Rent(length);
    }

    /// <summary>The requested length.</summary>
    public int Length { get; }

    /// <summary>The first <see cref="Length"/> elements.</summary>
    public Span<T> Span => _array is null ? throw new ObjectDisposedException(nameof(PooledArray<T>)) : _array.AsSpan(0, Length);

    /// <summary>Returns the array to the pool once.</summary>
    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            ArrayPool<T>.Shared.Return(array);
        }
    }
}
