namespace OrleansUws.TrainedFleet.Evaluation;

/// <summary>One way of giving a task a model: the base, the mean adapter, the adapter itself, or a projection (form, k).</summary>
/// <param name="Method">"base", "mean adapter", "adapter", or the coefficient form's name.</param>
/// <param name="K">k of the projection; null otherwise.</param>
/// <param name="Accuracy">Task test accuracy per adapter, in adapter order.</param>
/// <param name="RelativeError">‖ΔW − ΔŴ‖_F/‖ΔW‖_F over all layers per adapter; null where not a projection.</param>
/// <param name="CoefficientBytes">Bytes of the coefficient tensors per model (projections), the LoRA factors (adapter), or 0.</param>
/// <param name="CoefficientFileBytes">Size of one coefficient file on disk (header included) per model; the adapter's weights file for "adapter".</param>
/// <param name="BasisBytes">Bytes of the bases the method needs, stored once for the fleet (the mean adapter: its dense ΔW).</param>
public sealed record MethodScores(string Method, int? K, double[] Accuracy, double[]? RelativeError, double CoefficientBytes, double CoefficientFileBytes, double BasisBytes);

/// <summary>Per layer and basis mode: how much shared structure the fleet has there.</summary>
/// <param name="Layer">Layer id.</param>
/// <param name="Mode">"rows" (input side, A), "columns" (output side, B), "flattened".</param>
/// <param name="Dimension">d of the mode.</param>
/// <param name="K">k.</param>
/// <param name="InSampleEnergy">Share of the in-sample adapters' energy the top k directions hold.</param>
/// <param name="NullEnergy">What iid Gaussian data of the same shape would put in its top k (Marchenko–Pastur).</param>
/// <param name="HeldOutCapture">Mean share of a held-out adapter's ‖ΔW‖² the basis keeps.</param>
/// <param name="RandomCapture">What a random k-dimensional subspace keeps in expectation (k/d; flattened: k/(m·n)).</param>
/// <param name="DirectionsAboveEdge">Directions above the Marchenko–Pastur edge (from the basis diagnostics), when known.</param>
public sealed record LayerDiagnostics(string Layer, string Mode, int Dimension, int K, double InSampleEnergy, double? NullEnergy, double HeldOutCapture, double RandomCapture, int? DirectionsAboveEdge);

/// <summary>Everything the evaluation measured.</summary>
/// <param name="Methods">Scores per method.</param>
/// <param name="Diagnostics">Shared-structure figures per layer, mode and k.</param>
/// <param name="LoraBytesPerModel">Bytes of one adapter's LoRA factors (F32 tensors) over the analysed layers.</param>
/// <param name="LoraFileBytesPerModel">Size of one adapter's weights file on disk.</param>
/// <param name="DenseBytesPerModel">Bytes of the dense ΔW of every layer in F32 (what the paper's ratios compare against).</param>
/// <param name="StoredModels">Models the bases are amortised over (in-sample and held-out: all use the same bases).</param>
/// <param name="ReconstructedPeftCheck">For each form at the headline k: mean held-out accuracy of the reconstruction written as a PEFT adapter and read back.</param>
/// <param name="HeadlineK">The k of the PEFT round-trip check and of the per-layer ablation.</param>
/// <param name="Ablations">Held-out accuracy when only one layer is projected (headline k), per form and layer.</param>
public sealed record EvaluationResult(
    IReadOnlyList<MethodScores> Methods,
    IReadOnlyList<LayerDiagnostics> Diagnostics,
    double LoraBytesPerModel,
    double LoraFileBytesPerModel,
    double DenseBytesPerModel,
    int StoredModels,
    IReadOnlyDictionary<string, double> ReconstructedPeftCheck,
    int HeadlineK,
    IReadOnlyList<LayerAblation> Ablations);

/// <summary>Mean held-out accuracy when only <paramref name="Layer"/> is replaced by its projection and the other layers keep the adapter's ΔW.</summary>
/// <param name="Form">Coefficient form.</param>
/// <param name="K">k.</param>
/// <param name="Layer">The projected layer.</param>
/// <param name="HeldOutAccuracy">Mean task accuracy over the held-out adapters.</param>
public sealed record LayerAblation(string Form, int K, string Layer, double HeldOutAccuracy);

/// <summary>Where the time went.</summary>
public sealed record RunTimings(TimeSpan Base, TimeSpan Adapters, TimeSpan Evaluation, TimeSpan Total, string Backend, int Threads);
