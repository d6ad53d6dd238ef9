using Microsoft.Extensions.DependencyInjection;
using OrleansUws.Numerics.Backends;
using OrleansUws.TrainedFleet;

// Trains a real fleet (a base MLP on the UCI digits and one LoRA adapter per related task), writes it as PEFT
// adapters, fits per-layer bases on the in-sample adapters and reports task accuracy after projection per form and k.
//   dotnet run -c Release --project bench/TrainedFleet -- --out DIR
BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"TrainedFleet: {e.Message}");
    return 2;
}

using var services = new ServiceCollection().AddUwsNumerics().BuildServiceProvider();
return TrainedFleetBenchmark.Run(options, services.GetRequiredService<IBlasBackend>(), Console.Out);
