using OrleansUws.Cluster.Bench;

// Cluster benchmark: end-to-end models/s of the embedded cluster vs the numerics library alone on the same
// planted fleet in the same process, and the time from the last model to the new basis version.
//   dotnet run -c Release --project bench/Cluster.Bench -- [--models N] [--layers L] [--preset P] [--fleet DIR]
return await ClusterBenchmark.RunAsync(BenchArguments.Parse(args), Console.Out);
