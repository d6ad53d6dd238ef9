using OrleansUws.Cluster.Bench;

// Cluster benchmark: end-to-end models/s of the embedded cluster vs the numerics library alone on the same
// planted fleet in the same process, and the time from the last model to the new basis version.
//   dotnet run -c Release --project bench/Cluster.Bench -- [--models N] [--layers L] [--preset P] [--fleet DIR]
// The held-out capture's cost per model against the absorb itself:
//   dotnet run -c Release --project bench/Cluster.Bench -- held-out-cost [MODELS]
if (args is ["held-out-cost", ..])
{
    return HeldOutCost.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 20, Console.Out);
}

return await ClusterBenchmark.RunAsync(BenchArguments.Parse(args), Console.Out);
