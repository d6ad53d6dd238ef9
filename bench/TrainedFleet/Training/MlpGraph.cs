using OrleansUws.Numerics.Backends;

namespace OrleansUws.TrainedFleet.Training;

/// <summary>
/// Forward and backward passes of an <see cref="Mlp"/> (optionally with LoRA on every layer) over a mini-batch,
/// by hand: Z_l = X_l·W_lᵀ + b_l (+ s·(X_l·A_lᵀ)·B_lᵀ), X_{l+1} = ReLU(Z_l), softmax cross-entropy on the last Z.
/// Without LoRA the gradients are those of W and b (training the base model); with LoRA the base is frozen and the
/// gradients are those of A and B. Every product goes through <see cref="IBlasBackend.Gemm(Transpose, Transpose, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>.
/// One instance per thread: it owns its activations.
/// </summary>
public sealed class MlpGraph
{
    private readonly IBlasBackend _blas;
    private readonly Mlp _model;
    private readonly LoraWeights? _lora;
    private readonly int _maxBatch;
    private readonly float[][] _inputs;    // X_l, batch×n_l (X_0 = the batch; X_{l+1} = ReLU(Z_l))
    private readonly float[][] _outputs;   // Z_l, batch×m_l (pre-activation); the last holds the softmax after ForwardLoss
    private readonly float[][] _hidden;    // H_l = X_l·A_lᵀ, batch×r (LoRA only)
    private readonly float[] _gradOutput;  // dZ, batch×max width
    private readonly float[] _gradInput;   // dX, batch×max width
    private readonly float[] _gradHidden;  // dH, batch×r
    private int _batch;

    /// <summary>Creates the workspace for batches of up to <paramref name="maxBatch"/> rows.</summary>
    /// <param name="blas">The GEMM backend.</param>
    /// <param name="model">The base model (its weights are trained when <paramref name="lora"/> is null, frozen otherwise).</param>
    /// <param name="lora">LoRA factors on every layer, or null.</param>
    /// <param name="maxBatch">Largest batch.</param>
    public MlpGraph(IBlasBackend blas, Mlp model, LoraWeights? lora, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(blas);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatch);
        if (lora is not null && lora.A.Count != model.Layers.Count)
        {
            throw new ArgumentException($"The LoRA has {lora.A.Count} layers; the model {model.Layers.Count}.", nameof(lora));
        }

        _blas = blas;
        _model = model;
        _lora = lora;
        _maxBatch = maxBatch;
        int layers = model.Layers.Count;
        _inputs = [.. model.Layers.Select(l => new float[maxBatch * l.InFeatures])];
        _outputs = [.. model.Layers.Select(l => new float[maxBatch * l.OutFeatures])];
        int rank = lora?.Rank ?? 0;
        _hidden = [.. Enumerable.Range(0, layers).Select(_ => new float[maxBatch * rank])];
        _gradOutput = new float[maxBatch * model.MaxWidth];
        _gradInput = new float[maxBatch * model.MaxWidth];
        _gradHidden = new float[maxBatch * rank];
        if (lora is null)
        {
            Parameters = [.. model.Layers.SelectMany(l => new[] { l.Weight, l.Bias })];
        }
        else
        {
            Parameters = [.. Enumerable.Range(0, layers).SelectMany(l => new[] { lora.A[l], lora.B[l] })];
        }

        Gradients = [.. Parameters.Select(p => new float[p.Length])];
    }

    /// <summary>The trained tensors: per layer W then b (base), or A then B (LoRA).</summary>
    public IReadOnlyList<float[]> Parameters { get; }

    /// <summary>The gradients of the mean loss, same order and shapes as <see cref="Parameters"/>, written by <see cref="Backward"/>.</summary>
    public IReadOnlyList<float[]> Gradients { get; }

    /// <summary>Runs the forward pass and returns the mean cross-entropy of the batch.</summary>
    /// <param name="pixels">batch×n_0 inputs, row-major.</param>
    /// <param name="labels">batch labels.</param>
    public double ForwardLoss(ReadOnlySpan<float> pixels, ReadOnlySpan<int> labels)
    {
        Forward(pixels, labels.Length);
        int classes = _model.OutputSize;
        Span<float> probabilities = _outputs[^1].AsSpan(0, _batch * classes);
        double loss = 0;
        for (int i = 0; i < _batch; i++)
        {
            Span<float> row = probabilities.Slice(i * classes, classes);
            float max = float.NegativeInfinity;
            foreach (float z in row)
            {
                max = Math.Max(max, z);
            }

            double sum = 0;
            for (int c = 0; c < classes; c++)
            {
                sum += Math.Exp(row[c] - max);
            }

            int label = labels[i];
            if ((uint)label >= (uint)classes)
            {
                throw new ArgumentOutOfRangeException(nameof(labels), label, $"Label at {i} is outside [0, {classes}).");
            }

            loss += Math.Log(sum) - (row[label] - max);
            for (int c = 0; c < classes; c++)
            {
                row[c] = (float)(Math.Exp(row[c] - max) / sum);
            }
        }

        return loss / _batch;
    }

    /// <summary>Back-propagates the last <see cref="ForwardLoss"/> into <see cref="Gradients"/> (overwritten).</summary>
    /// <param name="labels">The same labels.</param>
    public void Backward(ReadOnlySpan<int> labels)
    {
        int batch = _batch;
        int classes = _model.OutputSize;
        Span<float> dz = _gradOutput.AsSpan(0, batch * classes);
        _outputs[^1].AsSpan(0, batch * classes).CopyTo(dz);
        for (int i = 0; i < batch; i++)
        {
            dz[(i * classes) + labels[i]] -= 1;
        }

        float inverse = 1f / batch;
        for (int i = 0; i < dz.Length; i++)
        {
            dz[i] *= inverse;
        }

        for (int l = _model.Layers.Count - 1; l >= 0; l--)
        {
            DenseLayer layer = _model.Layers[l];
            int m = layer.OutFeatures, n = layer.InFeatures;
            ReadOnlySpan<float> x = _inputs[l].AsSpan(0, batch * n);
            ReadOnlySpan<float> gradZ = _gradOutput.AsSpan(0, batch * m);
            Span<float> gradX = _gradInput.AsSpan(0, batch * n);
            if (_lora is null)
            {
                // dW = dZᵀ·X, db = Σ_rows dZ.
                _blas.Gemm(Transpose.Yes, Transpose.No, m, n, batch, 1f, gradZ, m, x, n, 0f, Gradients[2 * l], n);
                Span<float> gradB = Gradients[(2 * l) + 1];
                gradB.Clear();
                for (int i = 0; i < batch; i++)
                {
                    ReadOnlySpan<float> row = gradZ.Slice(i * m, m);
                    for (int j = 0; j < m; j++)
                    {
                        gradB[j] += row[j];
                    }
                }
            }
            else
            {
                // Z += s·H·Bᵀ with H = X·Aᵀ: dB = s·dZᵀ·H, dH = s·dZ·B, dA = dHᵀ·X.
                int r = _lora.Rank;
                float s = _lora.Scaling;
                ReadOnlySpan<float> h = _hidden[l].AsSpan(0, batch * r);
                Span<float> gradH = _gradHidden.AsSpan(0, batch * r);
                _blas.Gemm(Transpose.Yes, Transpose.No, m, r, batch, s, gradZ, m, h, r, 0f, Gradients[(2 * l) + 1], r);
                _blas.Gemm(Transpose.No, Transpose.No, batch, r, m, s, gradZ, m, _lora.B[l], r, 0f, gradH, r);
                _blas.Gemm(Transpose.Yes, Transpose.No, r, n, batch, 1f, gradH, r, x, n, 0f, Gradients[2 * l], n);
            }

            if (l == 0)
            {
                break;
            }

            // dX = dZ·W (+ dH·A), then through the ReLU that produced X (X > 0 where it was active).
            _blas.Gemm(Transpose.No, Transpose.No, batch, n, m, 1f, gradZ, m, layer.Weight, n, 0f, gradX, n);
            if (_lora is not null)
            {
                _blas.Gemm(Transpose.No, Transpose.No, batch, n, _lora.Rank, 1f, _gradHidden.AsSpan(0, batch * _lora.Rank), _lora.Rank, _lora.A[l], n, 1f, gradX, n);
            }

            Span<float> next = _gradOutput.AsSpan(0, batch * n);
            for (int i = 0; i < next.Length; i++)
            {
                next[i] = x[i] > 0 ? gradX[i] : 0;
            }
        }
    }

    /// <summary>Writes the predicted class (arg-max logit) of each input row.</summary>
    /// <param name="pixels">batch×n_0 inputs.</param>
    /// <param name="predictions">batch predictions.</param>
    public void Predict(ReadOnlySpan<float> pixels, Span<int> predictions)
    {
        Forward(pixels, predictions.Length);
        int classes = _model.OutputSize;
        ReadOnlySpan<float> logits = _outputs[^1].AsSpan(0, _batch * classes);
        for (int i = 0; i < _batch; i++)
        {
            ReadOnlySpan<float> row = logits.Slice(i * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++)
            {
                if (row[c] > row[best])
                {
                    best = c;
                }
            }

            predictions[i] = best;
        }
    }

    private void Forward(ReadOnlySpan<float> pixels, int batch)
    {
        if (batch <= 0 || batch > _maxBatch)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"The batch must hold 1 to {_maxBatch} rows.");
        }

        if (pixels.Length != batch * _model.InputSize)
        {
            throw new ArgumentException($"{batch} rows of {_model.InputSize} inputs need {batch * _model.InputSize} values; got {pixels.Length}.", nameof(pixels));
        }

        _batch = batch;
        pixels.CopyTo(_inputs[0]);
        for (int l = 0; l < _model.Layers.Count; l++)
        {
            DenseLayer layer = _model.Layers[l];
            int m = layer.OutFeatures, n = layer.InFeatures;
            ReadOnlySpan<float> x = _inputs[l].AsSpan(0, batch * n);
            Span<float> z = _outputs[l].AsSpan(0, batch * m);
            _blas.Gemm(Transpose.No, Transpose.Yes, batch, m, n, 1f, x, n, layer.Weight, n, 0f, z, m);
            if (_lora is not null)
            {
                int r = _lora.Rank;
                Span<float> h = _hidden[l].AsSpan(0, batch * r);
                _blas.Gemm(Transpose.No, Transpose.Yes, batch, r, n, 1f, x, n, _lora.A[l], n, 0f, h, r);
                _blas.Gemm(Transpose.No, Transpose.Yes, batch, m, r, _lora.Scaling, h, r, _lora.B[l], r, 1f, z, m);
            }

            for (int i = 0; i < batch; i++)
            {
                Span<float> row = z.Slice(i * m, m);
                for (int j = 0; j < m; j++)
                {
                    row[j] += layer.Bias[j];
                }
            }

            if (l + 1 < _model.Layers.Count)
            {
                Span<float> next = _inputs[l + 1].AsSpan(0, batch * m);
                for (int i = 0; i < next.Length; i++)
                {
                    next[i] = Math.Max(z[i], 0f);
                }
            }
        }
    }
}
