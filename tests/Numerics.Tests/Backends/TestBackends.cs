using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Tests.Backends;

// One line per backend: the whole backend-agnostic suite runs against each. A backend whose provider is
// unavailable here, or that UWS_TEST_BACKENDS (comma list) leaves out, is skipped with the reason.
public sealed class ManagedBackendSuite() : BackendSuite(new ManagedBlasBackendProvider());

// OpenBLAS at one thread per call, as the silo runs it. OpenBLAS's thread count is process-wide and its results depend
// on it in the last bits (the multi-threaded level-2 kernels inside the eigen-solver split their sums differently):
// with the library default here, a concurrently running test that configures one thread switched the count in the
// middle of this suite's bit-exact comparisons (serialisation round trip, lanes vs serial), which then failed ~1 run in 10.
public sealed class OpenBlasBackendSuite() : BackendSuite(new OpenBlasBackendProvider(Microsoft.Extensions.Options.Options.Create(new OrleansUws.Numerics.Hosting.OpenBlasOptions { ThreadsPerCall = 1 })));

public sealed class CudaBackendSuite() : BackendSuite(new OrleansUws.Numerics.Cuda.CudaBackendProvider(new OrleansUws.Numerics.Cuda.CudaBackendOptions(), candidates: null, logger: null));
