using System.Buffers;

namespace OrleansUws.ModelFormats;

/// <summary>A buffer rented from <see cref="ArrayPool{T}.Shared"/> and returned exactly once on dispose.</summary>
/// <typeparam name="T">The element type.</typeparam>
internal sealed class ScratchBuffer<T> : IDisposable
{
    private T[]? _array;

    /// <summary>Rents at least <paramref name="minimumLength"/> elements.</summary>
    public ScratchBuffer(int minimumLength)
    {
        _array = ArrayPool<T>.Shared.Rent(minimumLength);
        Length = minimumLength;
    }

    /// <summary>The requested length.</summary>
    public int Length { get; }

    /// <summary>The first <see cref="Length"/> elements.</summary>
    public Span<T> Span => (_array ?? throw new ObjectDisposedException(nameof(ScratchBuffer<T>))).AsSpan(0, Length);

    /// <summary>Returns the array to the pool (once).</summary>
    public void Dispose()
    {
        T[]? array = Interlocked.Exchange(ref _array, null);
        if (array is not null)
        {
            ArrayPool<T>.Shared.Return(array);
        }
    }
}
