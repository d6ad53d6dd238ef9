using OrleansUws.Ingestion.Bench;

// Ingestion at fleet scale: models/s per window of W models and the process's memory, on an embedded silo, so that a
// per-model cost growing with the number of models already registered shows as falling windows.
//   dotnet run -c Release --project bench/Ingestion.Bench -- [--models 20000] [--layers 2] [--window 1000]
//       [--version-every 500] [--parallelism N] [--fleet DIR]
return await WindowedIngestion.RunAsync(WindowedIngestionOptions.Parse(args), Console.Out);
