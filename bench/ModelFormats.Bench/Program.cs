using OrleansUws.ModelFormats.Bench;

// dotnet run -c Release --project bench/ModelFormats.Bench -- [read options]
// dotnet run -c Release --project bench/ModelFormats.Bench -- generate <preset> <models> [layers]
return args.Length > 0 && args[0] == "generate"
    ? GenerationBenchmark.Run(args[1..])
    : ReadThroughputBenchmark.Run(BenchmarkOptions.Parse(args));
