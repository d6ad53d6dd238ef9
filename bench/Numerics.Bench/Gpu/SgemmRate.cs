using System.Runtime.InteropServices;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Cuda;
using OrleansUws.Numerics.Cuda.Interop;

namespace OrleansUws.Numerics.Bench.Gpu;

/// <summary>
/// cuBLAS SGEMM rate on device-resident n×n operands (random values: zeros run faster than real data), timed with
/// CUDA events over <c>repetitions</c> products after warm-ups, with full float32 math or with TF32 tensor cores.
/// </summary>
internal static class SgemmRate
{
    public static double MeasureGflops(CudaBlasBackend backend, int n, bool tf32, int warmups = 3, int repetitions = 10)
    {
        var native = backend.Native;
        var runtime = native.Runtime;
        backend.MakeCurrent();
        var bytes = (ulong)n * (ulong)n * sizeof(float);
        using var a = new DeviceBuffer(runtime, bytes);
        using var b = new DeviceBuffer(runtime, bytes);
        using var c = new DeviceBuffer(runtime, bytes);
        var stream = runtime.CreateStream(CudaRuntimeApi.StreamNonBlocking);
        var handle = native.Blas.Create();
        var start = runtime.CreateEvent(0);
        var end = runtime.CreateEvent(0);
        try
        {
            native.Blas.SetStream(handle, stream);
            native.Blas.SetMathMode(handle, tf32 ? CublasApi.Tf32TensorOpMath : CublasApi.DefaultMath);
            var random = new Random(5);
            var host = new float[n * n];
            foreach (var buffer in (DeviceBuffer[])[a, b])
            {
                for (var i = 0; i < host.Length; i++)
                {
                    host[i] = (float)(random.NextDouble() - 0.5);
                }

                var pinned = GCHandle.Alloc(host, GCHandleType.Pinned);
                try
                {
                    runtime.MemcpyAsync(buffer.Pointer, pinned.AddrOfPinnedObject(), bytes, CudaMemcpyKind.HostToDevice, stream);
                    runtime.Synchronize(stream);
                }
                finally
                {
                    pinned.Free();
                }
            }

            var call = ColumnMajorGemm.FromRowMajor(Transpose.No, Transpose.No, n, n, n, n, n, n);
            for (var i = 0; i < warmups; i++)
            {
                native.Blas.Sgemm(handle, call, 1f, b.Pointer, a.Pointer, 0f, c.Pointer);
            }

            runtime.RecordEvent(start, stream);
            for (var i = 0; i < repetitions; i++)
            {
                native.Blas.Sgemm(handle, call, 1f, b.Pointer, a.Pointer, 0f, c.Pointer);
            }

            runtime.RecordEvent(end, stream);
            runtime.SynchronizeEvent(end);
            var milliseconds = runtime.ElapsedMilliseconds(start, end);
            return 2.0 * n * n * (double)n * repetitions / (milliseconds * 1e6);
        }
        finally
        {
            runtime.DestroyEvent(start);
            runtime.DestroyEvent(end);
            native.Blas.Destroy(handle);
            runtime.DestroyStream(stream);
        }
    }
}
