namespace OrleansUws.Numerics.Sketching;

/// <summary>
/// Receives the rows a sketch formed for one low-rank batch before it keeps them: <paramref name="count"/>×d row-major
/// rows R with RᵀR = scale²·rightᵀ·leftᵀ·left·right — the batch's uncentred Σ x xᵀ, in at most rank rows — and
/// ‖R‖²_F, the batch's energy. A consumer that needs only products with that covariance (the held-out capture
/// ‖X·Vᵀ‖² = ‖R·Vᵀ‖²) reads them instead of forming its own small Grams of the factors. The span is valid only during
/// the call.
/// </summary>
public delegate void FormedRowsHandler(ReadOnlySpan<float> rows, int count, double energy);
