using OrleansUws.Ingestion.Bench;

// Ingestion at fleet scale: models/s per window of W models and the process's memory, on an embedded silo, so that a
// per-model cost growing with the number of models already registered shows as falling windows.
//   dotnet run -c Release --project bench/Ingestion.Bench -- [--models 20000] [--layers 2] [--window 1000]
//       [--version-every 500] [--parallelism N] [--fleet DIR]
// What admission costs per model (hash, full check, plain read) on Mistral-shaped adapters:
//   dotnet run -c Release --project bench/Ingestion.Bench -- admission [MODELS] [LAYERS]
// The durable queue on Redis grain storage, slices checkpointing every model vs in batches with a flush per batch:
//   dotnet run -c Release --project bench/Ingestion.Bench -- queue --redis HOST:PORT [--preset P] [--models N]
//       [--layers L] [--parallelism N] [--checkpoint-every N] [--windows W]
// What a deletion costs: exact-Gram layers subtract the model, Frequent Directions layers rebuild the slice that held it:
//   dotnet run -c Release --project bench/Ingestion.Bench -- delete [--preset tiny] [--models 400] [--layers 2] [--deletes 10]
if (args is ["queue", ..])
{
    return await QueueIngestion.RunAsync(args[1..], Console.Out);
}

if (args is ["delete", ..])
{
    return await DeletionCost.RunAsync(args[1..], Console.Out);
}

return args is ["admission", ..]
    ? AdmissionCost.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 8, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 8, Console.Out)
    : await WindowedIngestion.RunAsync(WindowedIngestionOptions.Parse(args), Console.Out);
