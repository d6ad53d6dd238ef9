using OrleansUws.Grains.Absorption;
using OrleansUws.Grains.Interfaces;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Sketching;
using OrleansUws.Subspace;
using OrleansUws.Subspace.Diagnostics;
using OrleansUws.Subspace.Updates;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// The streaming held-out capture: a slice's measurement of a model against the basis it has not seen (LoRA from the
/// factors, dense from the samples, centred or not), checked against planted spans and against the Subspace library's
/// reconstruction-based <see cref="SubspaceDiagnostics.CapturedShare(LayerUpdate, BasisMode, float[], int, float[], IBlasBackend)"/>;
/// and the sums a version carries.
/// </summary>
public sealed class HeldOutCaptureTests
{
    private const int M = 24, N = 20, R = 3, K = 4;
    private static readonly ManagedBlasBackend Backend = new();

    [Theory]
    [InlineData(SketchMode.Rows)]
    [InlineData(SketchMode.Columns)]
    public void A_lora_update_in_the_span_of_the_basis_is_captured_whole_and_an_orthogonal_one_not_at_all(SketchMode mode)
    {
        var random = new Random(12);
        int d = mode == SketchMode.Rows ? N : M;
        var frame = Orthonormal(random, 2 * K, d); // first K rows: the basis; next K: orthogonal to it
        var meter = Meter(mode, frame.AsSpan(0, K * d).ToArray(), d, version: 3);
        var axis = mode == SketchMode.Rows ? SketchAxis.Rows : SketchAxis.Columns;

        var inside = PlantedLora(random, mode, frame, 0);
        var outside = PlantedLora(random, mode, frame, K);
        var captured = meter.MeasureLora(inside, axis)!.Value;
        var missed = meter.MeasureLora(outside, axis)!.Value;

        Assert.Equal(1.0, captured.Captured / captured.Energy, 5);
        Assert.Equal(0.0, missed.Captured / missed.Energy, 5);
        Assert.Equal(FrobeniusSquared(inside), captured.Energy, 1e-5 * captured.Energy);
    }

    [Theory]
    [InlineData(SketchMode.Rows, false)]
    [InlineData(SketchMode.Rows, true)]
    [InlineData(SketchMode.Columns, false)]
    [InlineData(SketchMode.Columns, true)]
    public void The_factored_and_dense_measurements_agree_with_the_subspace_librarys_reconstruction_error(SketchMode mode, bool centred)
    {
        var random = new Random(7);
        int d = mode == SketchMode.Rows ? N : M;
        var vectors = Orthonormal(random, K, d);
        float[]? mean = centred ? Gaussian(random, d, 0.3) : null;
        var meter = Meter(mode, vectors, d, version: 1, mean);
        var lora = new LoraFactors(Gaussian(random, M * R, 1), Gaussian(random, R * N, 1), M, R, N, Alpha: 6);
        var dense = Dense(lora);
        var axis = mode == SketchMode.Rows ? SketchAxis.Rows : SketchAxis.Columns;

        var factored = meter.MeasureLora(lora, axis)!.Value;
        var samples = mode == SketchMode.Rows ? dense : Transposed(dense, M, N);
        var fromSamples = meter.MeasureDense(samples, mode == SketchMode.Rows ? M : N)!.Value;

        // The library reconstructs ΔŴ (= C·Vᵀ + 1μᵀ, or U·C + μ1ᵀ) and reports 1 − ‖ΔW − ΔŴ‖²/‖ΔW‖²; the residual energy is
        // the same ‖X‖² − ‖XVᵀ‖² for X about the mean, the denominator the uncentred ‖ΔW‖².
        var basisMode = mode == SketchMode.Rows ? BasisMode.Rows : BasisMode.Columns;
        double libraryShare = SubspaceDiagnostics.CapturedShare(LayerUpdate.Factored(M, R, N, lora.B.ToArray(), lora.A.ToArray(), lora.Scale), basisMode, vectors, K, mean, Backend);
        double residual = (1 - libraryShare) * FrobeniusSquared(lora);
        double tolerance = 1e-5 * factored.Energy; // float32 products
        Assert.Equal(residual, factored.Energy - factored.Captured, tolerance);
        Assert.Equal(factored.Energy, fromSamples.Energy, tolerance);
        Assert.Equal(factored.Captured, fromSamples.Captured, tolerance);
        Assert.InRange(factored.Captured / factored.Energy, 0.05, 0.95);
    }

    /// <summary>
    /// The slice's path: appending through the meter measures what the factored measurement does (an uncentred basis
    /// from the rows the sketch forms, a centred one from the factors) and leaves the sketch exactly as a plain append;
    /// without a basis it appends and measures nothing.
    /// </summary>
    [Theory]
    [InlineData(SketchMode.Rows, false)]
    [InlineData(SketchMode.Rows, true)]
    [InlineData(SketchMode.Columns, false)]
    [InlineData(SketchMode.Columns, true)]
    public void Appending_through_the_meter_measures_as_the_factors_do_and_appends_as_a_plain_append(SketchMode mode, bool centred)
    {
        var random = new Random(21);
        int d = mode == SketchMode.Rows ? N : M;
        var vectors = Orthonormal(random, K, d);
        float[]? mean = centred ? Gaussian(random, d, 0.3) : null;
        var meter = Meter(mode, vectors, d, version: 4, mean);
        var lora = new LoraFactors(Gaussian(random, M * R, 1), Gaussian(random, R * N, 1), M, R, N, Alpha: 6);
        var axis = mode == SketchMode.Rows ? SketchAxis.Rows : SketchAxis.Columns;
        var factory = new CovarianceSketchFactory(Backend);
        var options = new SketchOptions(SketchKind.FrequentDirections, d, 8, MeanMode.Track);
        using var plain = factory.Create(options);
        using var measured = factory.Create(options);
        using var unmeasured = factory.Create(options);

        plain.AppendLora(lora, axis);
        var sample = meter.AppendLora(measured, lora, axis)!.Value;
        var factored = meter.MeasureLora(lora, axis)!.Value;

        Assert.Equal(4, sample.Version);
        Assert.Equal(factored.Energy, sample.Energy, 1e-5 * factored.Energy);
        Assert.Equal(factored.Captured, sample.Captured, 1e-5 * factored.Energy);
        Assert.InRange(sample.Captured / sample.Energy, 0.05, 0.95);
        Assert.Equal(plain.Serialize(), measured.Serialize());
        Assert.Null(new HeldOutMeter(Backend).AppendLora(unmeasured, lora, axis));
        Assert.Equal(plain.Serialize(), unmeasured.Serialize());
    }

    [Fact]
    public void A_meter_measures_nothing_without_a_basis_and_keeps_the_newest_version()
    {
        var meter = new HeldOutMeter(Backend);
        var lora = new LoraFactors(new float[M * R], new float[R * N], M, R, N, Alpha: R);
        Assert.Null(meter.MeasureLora(lora, SketchAxis.Rows));

        var random = new Random(1);
        Assert.True(meter.Use(Basis(SketchMode.Rows, Orthonormal(random, K, N), N, version: 2)));
        Assert.False(meter.Use(Basis(SketchMode.Rows, Orthonormal(random, K, N), N, version: 1)));
        Assert.Equal(2, meter.Version);
        Assert.Null(meter.MeasureLora(lora, SketchAxis.Columns)); // a columns measurement needs a basis of dimension m
    }

    [Fact]
    public void A_version_carries_the_hand_sum_of_its_slices_tallies_and_independent_rows()
    {
        var a = HeldOutTally.Empty.Add(3, 4, version: 2).Add(1, 2, version: 3);
        var b = HeldOutTally.Empty.Add(0, 5, version: 1);
        Assert.Equal(new HeldOutTally(2, 0.75 + 0.5, 4, 6, 2), a);
        var snapshots = new[]
        {
            new SliceSnapshot(0, 2, 2 * M, SketchBlob.Empty, HeldOut: a, IndependentRows: 2 * R),
            new SliceSnapshot(1, 1, M, SketchBlob.Empty, HeldOut: b, IndependentRows: R),
            new SliceSnapshot(2, 0, 0, SketchBlob.Empty),
        };
        var info = new BasisVersionInfo("f", "l0", SketchMode.Rows, 4, 3, 3 * M, 1, false, 0.9, 0, null, false, TimeSpan.Zero, DateTimeOffset.UnixEpoch, BasisTrigger.OnDemand);

        var complete = VersionFigures.Complete(info, snapshots, previous: null, new float[N], [1.0], N);

        Assert.Equal(new HeldOutTally(3, 1.25, 4, 11, 1), complete.HeldOut);
        Assert.Equal(1.25 / 3, complete.HeldOut!.MeanShare!.Value, 12);
        Assert.Equal(4.0 / 11, complete.HeldOut.WeightedShare!.Value, 12);
        Assert.Equal(3 * R, complete.IndependentRows);
        Assert.Null(complete.EnergyDistanceToPrevious);
        Assert.Equal(new HeldOutTally(1, 0, 0, 5, 1), complete.HeldOut.Since(a));
    }

    [Fact]
    public void Distances_to_the_previous_version_use_the_principal_directions_behind_an_alignment()
    {
        // Two versions spanning the same plane: the second published as a rotation of its principal directions.
        var e = new float[] { 1, 0, 0, 0, 1, 0 };
        const double c = 0.6, s = 0.8;
        var rotation = new[] { c, -s, s, c }; // published = R·E
        var published = new float[] { (float)c, (float)-s, 0, (float)s, (float)c, 0 };
        Assert.All(e.Zip(PrincipalDirections(published, rotation, 2, 3)), p => Assert.Equal(p.First, p.Second, 6));

        var first = new LayerBasis(new BasisVersionInfo("f", "l0", SketchMode.Rows, 1, 1, 1, 2, false, 1, 0, null, false, TimeSpan.Zero, DateTimeOffset.UnixEpoch, BasisTrigger.OnDemand), 3, e, [3.0, 1.0], null);
        var info = first.Info with { Version = 2, Alignment = rotation };
        var complete = VersionFigures.Complete(info, [], first, published, [3.0, 1.0], 3);
        Assert.Equal(0, complete.EnergyDistanceToPrevious!.Value, 6);
        Assert.Equal(1, complete.GapDirections);
        Assert.Equal(0, complete.SinThetaUpToGap!.Value, 6);
    }

    [Fact]
    public void Distances_from_the_vectors_products_equal_those_of_the_principal_directions_themselves()
    {
        // Two aligned versions of different ranks in d = 40, each published as a random rotation of its principal
        // directions: the figures formed from the published vectors' products match those of the directions rebuilt.
        const int d = 40, k = 5, kp = 4;
        var random = new Random(7);
        var frame = Orthonormal(random, k + kp, d);
        var e = frame[..(k * d)];
        var ep = new float[kp * d];
        for (int i = 0; i < kp; i++)
        {
            // Previous directions: mostly the first ones of e, turned a little towards the rest of the frame.
            for (int c = 0; c < d; c++)
            {
                ep[(i * d) + c] = (0.9f * e[(i * d) + c]) + (0.43588989f * frame[((k + i) * d) + c]);
            }
        }

        double[] rotation = Rotation(random, k), previousRotation = Rotation(random, kp);
        var published = Rotate(rotation, e, k, d);
        var previousPublished = Rotate(previousRotation, ep, kp, d);
        double[] sigma = [5, 4, 1.5, 1.4, 1.3], previousSigma = [4.5, 3.5, 1.2, 1.1];
        var previous = new LayerBasis(
            new BasisVersionInfo("f", "l0", SketchMode.Rows, 1, 1, 1, kp, false, 1, 0, null, false, TimeSpan.Zero, DateTimeOffset.UnixEpoch, BasisTrigger.OnDemand)
            { Alignment = previousRotation }, d, previousPublished, previousSigma, null);
        var info = previous.Info with { Version = 2, Rank = k, Alignment = rotation };

        var complete = VersionFigures.Complete(info, [], previous, published, sigma, d);

        var directions = PrincipalDirections(published, rotation, k, d);
        var previousDirections = PrincipalDirections(previousPublished, previousRotation, kp, d);
        var (gapDirections, sinTheta) = SubspaceDiagnostics.SinThetaUpToLargestGap(directions, sigma, k, previousDirections, kp, d);
        Assert.Equal(SubspaceDiagnostics.EnergyWeightedDistance(directions, sigma, k, previousDirections, previousSigma, kp, d), complete.EnergyDistanceToPrevious!.Value, 6);
        Assert.Equal(2, gapDirections);
        Assert.Equal(gapDirections, complete.GapDirections);
        Assert.Equal(sinTheta, complete.SinThetaUpToGap!.Value, 6);
        Assert.InRange(sinTheta, 0.3, 0.6); // the turn given to the previous directions, not 0 or 1
    }

    /// <summary>A random k×k rotation (row-major): Gram–Schmidt of Gaussian rows.</summary>
    private static double[] Rotation(Random random, int k) => Orthonormal(random, k, k).Select(x => (double)x).ToArray();

    /// <summary>E = Rᵀ·V: the principal directions behind vectors V published aligned by the k×k rotation R (V = R·E).</summary>
    private static float[] PrincipalDirections(float[] published, double[] rotation, int k, int d)
    {
        var transposed = new double[k * k];
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                transposed[(j * k) + i] = rotation[(i * k) + j];
            }
        }

        return Rotate(transposed, published, k, d);
    }

    /// <summary>R·E for a k×k rotation R and k×d rows E.</summary>
    private static float[] Rotate(double[] rotation, float[] rows, int k, int d)
    {
        var result = new float[k * d];
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                for (int c = 0; c < d; c++)
                {
                    result[(i * d) + c] += (float)(rotation[(i * k) + j] * rows[(j * d) + c]);
                }
            }
        }

        return result;
    }

    private static HeldOutMeter Meter(SketchMode mode, float[] vectors, int d, int version, float[]? mean = null)
    {
        var meter = new HeldOutMeter(Backend);
        Assert.True(meter.Use(Basis(mode, vectors, d, version, mean)));
        return meter;
    }

    private static LayerBasis Basis(SketchMode mode, float[] vectors, int d, int version, float[]? mean = null) => new(
        new BasisVersionInfo("f", "l0", mode, version, 10, 100, vectors.Length / d, false, 0.9, 0, null, mean is not null, TimeSpan.Zero, DateTimeOffset.UnixEpoch, BasisTrigger.OnDemand),
        d, vectors, new double[vectors.Length / d], mean);

    /// <summary>A LoRA update whose rows (rows mode: A's rows) or columns (columns mode: B's columns) are combinations of frame rows first…first+K.</summary>
    private static LoraFactors PlantedLora(Random random, SketchMode mode, float[] frame, int first)
    {
        int d = mode == SketchMode.Rows ? N : M;
        var mix = Gaussian(random, R * K, 1);
        var side = new float[R * d]; // R combinations of the K frame rows
        for (int a = 0; a < R; a++)
        {
            for (int j = 0; j < K; j++)
            {
                for (int c = 0; c < d; c++)
                {
                    side[(a * d) + c] += mix[(a * K) + j] * frame[((first + j) * d) + c];
                }
            }
        }

        return mode == SketchMode.Rows
            ? new LoraFactors(Gaussian(random, M * R, 1), side, M, R, N, Alpha: 2 * R)
            : new LoraFactors(Transposed(side, R, M), Gaussian(random, R * N, 1), M, R, N, Alpha: 2 * R);
    }

    private static float[] Dense(LoraFactors lora)
    {
        var w = new float[M * N];
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++)
            {
                double sum = 0;
                for (int a = 0; a < R; a++)
                {
                    sum += lora.B.Span[(i * R) + a] * lora.A.Span[(a * N) + j];
                }

                w[(i * N) + j] = (float)(lora.Scale * sum);
            }
        }

        return w;
    }

    private static double FrobeniusSquared(LoraFactors lora) => Dense(lora).Sum(v => (double)v * v);

    private static float[] Transposed(float[] x, int rows, int cols)
    {
        var t = new float[x.Length];
        MatrixLayout.Transpose<float>(x, rows, cols, t);
        return t;
    }

    private static float[] Gaussian(Random random, int count, double scale) =>
        Enumerable.Range(0, count).Select(_ => (float)(scale * NextGaussian(random))).ToArray();

    private static double NextGaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>k orthonormal rows of length d (Gram–Schmidt on Gaussian rows, float64).</summary>
    private static float[] Orthonormal(Random random, int k, int d)
    {
        var rows = new double[k][];
        for (int i = 0; i < k; i++)
        {
            var v = Enumerable.Range(0, d).Select(_ => NextGaussian(random)).ToArray();
            for (int pass = 0; pass < 2; pass++)
            {
                for (int j = 0; j < i; j++)
                {
                    double dot = v.Zip(rows[j], (x, y) => x * y).Sum();
                    for (int c = 0; c < d; c++)
                    {
                        v[c] -= dot * rows[j][c];
                    }
                }
            }

            double norm = Math.Sqrt(v.Sum(x => x * x));
            rows[i] = v.Select(x => x / norm).ToArray();
        }

        return rows.SelectMany(r => r.Select(x => (float)x)).ToArray();
    }
}
