using System.Collections.Concurrent;

namespace OrleansUws.Numerics.Internal;

/// <summary>
/// Sketch workspace buffers kept for reuse at their exact length (a 2ℓ×d buffer is 2 MB at ℓ = 64, d = 4096). A slice
/// copies its sketch at each version cut (and a merge that cannot use the slices' summaries reads their snapshots back
/// into sketches); allocating each anew
/// means a large-object allocation, fresh pages and more gen-2 collections every time. Unlike
/// <see cref="PooledArray{T}"/> (short-lived scratch from <see cref="System.Buffers.ArrayPool{T}.Shared"/>, rounded up to
/// a power of two) these buffers live as long as their sketch, so they are kept at their exact length, and at most
/// <see cref="MaxRetainedBytes"/> of them in all. Buffers below the large-object threshold are not kept.
/// </summary>
internal static class WorkspaceBufferPool
{
    /// <summary>The most bytes of free buffers kept.</summary>
    public const long MaxRetainedBytes = 64L << 20;

    /// <summary>Buffers shorter than this (floats) are allocated and left to the GC: the large-object threshold.</summary>
    public const int MinPooledLength = 85_000 / sizeof(float);

    private static readonly ConcurrentDictionary<int, ConcurrentStack<float[]>> Free = new();
    private static long _retainedBytes;

    /// <summary>
    /// A buffer of exactly <paramref name="length"/> floats: a kept one, else a new one; zeroed unless
    /// <paramref name="clear"/> is false (the caller writes all of it, so a kept one keeps what it held).
    /// </summary>
    public static float[] Rent(int length, bool clear = true)
    {
        if (length >= MinPooledLength && Free.TryGetValue(length, out var stack) && stack.TryPop(out var buffer))
        {
            Interlocked.Add(ref _retainedBytes, -(long)length * sizeof(float));
            if (clear)
            {
                Array.Clear(buffer);
            }

            return buffer;
        }

        return new float[length];
    }

    /// <summary>
    /// Keeps <paramref name="buffer"/> for a later <see cref="Rent"/> unless it is small or the pool is full. The caller
    /// must not touch it afterwards.
    /// </summary>
    public static void Return(float[]? buffer)
    {
        if (buffer is null || buffer.Length < MinPooledLength)
        {
            return;
        }

        var bytes = (long)buffer.Length * sizeof(float);
        if (Interlocked.Add(ref _retainedBytes, bytes) > MaxRetainedBytes)
        {
            Interlocked.Add(ref _retainedBytes, -bytes);
            return;
        }

        Free.GetOrAdd(buffer.Length, static _ => new ConcurrentStack<float[]>()).Push(buffer);
    }
}
