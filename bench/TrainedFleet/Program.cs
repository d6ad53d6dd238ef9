using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OrleansUws.Numerics.Backends;
using OrleansUws.TrainedFleet.Data;
using OrleansUws.TrainedFleet.Tasks;
using OrleansUws.TrainedFleet.Training;

using var services = new ServiceCollection().AddUwsNumerics().BuildServiceProvider();
var blas = services.GetRequiredService<IBlasBackend>();
var sw = Stopwatch.StartNew();
var all = DigitsDataSet.Load(DigitsDataSet.DefaultPath);
var (train, test) = DigitsDataSet.Split(all, 540, 1);
var trainer = new Trainer(blas);
var model = Mlp.Create(["fc1", "fc2", "fc3"], [64, 128, 128, 10], 7);
double loss = trainer.TrainBase(model, train, new TrainingOptions(int.Parse(args[0]), 32, 1e-3, 11));
Console.WriteLine($"{blas.Name} base loss {loss:F4} acc {trainer.Accuracy(model, test):P2} {sw.Elapsed.TotalSeconds:F1}s");
var family = new TaskFamily(int.Parse(args[1]), int.Parse(args[2]), 0.5, 1.0, 1);
for (int t = 0; t < 6; t++)
{
    var task = family.Create(t, 3);
    var ttr = task.Apply(train); var tte = task.Apply(test);
    var lora = LoraWeights.Initialise(model, 4, 8, 100 + t);
    double l2 = trainer.TrainLora(model, lora, ttr, new TrainingOptions(int.Parse(args[3]), 32, double.Parse(args[4]), 200 + t));
    Console.WriteLine($"task {task.Description}: base {trainer.Accuracy(model, tte):P1} lora {trainer.Accuracy(model, tte, lora):P1} loss {l2:F3} {sw.Elapsed.TotalSeconds:F1}s");
}
