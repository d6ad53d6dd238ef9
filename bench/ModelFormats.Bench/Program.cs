using OrleansUws.ModelFormats.Bench;

return ReadThroughputBenchmark.Run(BenchmarkOptions.Parse(args));
