using OrleansUws.TrainedFleet.Tasks;

namespace OrleansUws.TrainedFleet.Fleet;

/// <summary>One trained adapter of the fleet and what training measured.</summary>
/// <param name="Name">Folder name (<c>task-007</c>), also the model id the pipeline reports.</param>
/// <param name="Folder">The PEFT adapter folder.</param>
/// <param name="Task">Its task.</param>
/// <param name="InSample">Whether the bases are fitted on it.</param>
/// <param name="BaseAccuracy">The base model's test accuracy on the task.</param>
/// <param name="AdapterAccuracy">The adapter's test accuracy on the task (factors as trained, in memory).</param>
/// <param name="AMovement">‖A − A₀‖_F/‖A₀‖_F over all layers: how far A moved from its random initialisation.</param>
/// <param name="BNorm">‖s·B‖_F over all layers (B starts at zero).</param>
public sealed record TrainedAdapter(string Name, string Folder, DigitTask Task, bool InSample, double BaseAccuracy, double AdapterAccuracy, double AMovement, double BNorm);
