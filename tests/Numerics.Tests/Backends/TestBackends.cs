using OrleansUws.Numerics.Backends;

namespace OrleansUws.Numerics.Tests.Backends;

// One line per backend: the whole backend-agnostic suite runs against each. A backend whose provider is
// unavailable here, or that UWS_TEST_BACKENDS (comma list) leaves out, is skipped with the reason.
public sealed class ManagedBackendSuite() : BackendSuite(new ManagedBlasBackendProvider());

public sealed class OpenBlasBackendSuite() : BackendSuite(new OpenBlasBackendProvider());

public sealed class CudaBackendSuite() : BackendSuite(new OrleansUws.Numerics.Cuda.CudaBackendProvider(new OrleansUws.Numerics.Cuda.CudaBackendOptions(), candidates: null, logger: null));
