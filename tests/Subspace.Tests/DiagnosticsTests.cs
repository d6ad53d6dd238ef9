using OrleansUws.Subspace.Bases;
using OrleansUws.Subspace.Coefficients;
using OrleansUws.Subspace.Diagnostics;
using OrleansUws.Subspace.Updates;
using Xunit;

namespace OrleansUws.Subspace.Tests;

/// <summary>Diagnostics that stay meaningful without a spectral gap, the explained-energy curve and the basis-file metadata.</summary>
public sealed class DiagnosticsTests
{
    // e_i: the standard basis of R^4, as rows.
    private static float[] Rows(params int[] axes) => axes.SelectMany(a => Enumerable.Range(0, 4).Select(j => j == a ? 1f : 0f)).ToArray();

    [Fact]
    public void EnergyWeightedDistanceIgnoresSwapsAmongEqualDirectionsAndWeighsAnEdgeSwapByItsEnergy()
    {
        // Same span, two directions of equal σ in the other order: sin θ_max is 0 too, and so is the weighted distance.
        Assert.Equal(0, SubspaceDiagnostics.EnergyWeightedDistance(Rows(0, 1), [1, 1], 2, Rows(1, 0), [1, 1], 2, 4), 12);

        // σ = (3, 0.1) then (3, 0.1) but the weak direction swapped for another (σ_k ≈ σ_{k+1}): sin θ_max = 1,
        // the weighted distance only √(2·w²)/√(2·Σw²) with w = 0.01/9.01.
        double w1 = 9 / 9.01, w2 = 0.01 / 9.01;
        double expected = Math.Sqrt(2 * w2 * w2 / (2 * ((w1 * w1) + (w2 * w2))));
        Assert.Equal(expected, SubspaceDiagnostics.EnergyWeightedDistance(Rows(0, 1), [3, 0.1], 2, Rows(0, 2), [3, 0.1], 2, 4), 12);
        Assert.Equal(1, Numerics.Metrics.SubspaceMetrics.SinThetaMax(Rows(0, 1), 2, Rows(0, 2), 2, 4), 12);

        // Disjoint subspaces: the largest distance, 1.
        Assert.Equal(1, SubspaceDiagnostics.EnergyWeightedDistance(Rows(0), [1], 1, Rows(1), [1], 1, 4), 12);
    }

    [Fact]
    public void SinThetaUpToTheLargestGapLooksOnlyAtTheWellSeparatedDirections()
    {
        // σ = (5, 4, 0.5, 0.49): the largest relative gap is after the second value; the 3rd/4th swap does not count.
        var (directions, sin) = SubspaceDiagnostics.SinThetaUpToLargestGap(Rows(0, 1, 2), [5, 4, 0.5], 3, Rows(1, 0, 3), 3, 4);
        Assert.Equal(2, directions);
        Assert.Equal(0, sin, 6);
    }

    [Fact]
    public void ExplainedEnergyCurveIsCumulative()
    {
        var curve = SubspaceDiagnostics.ExplainedEnergyCurve([Math.Sqrt(10), Math.Sqrt(5), 1], 20);
        Assert.Equal([0.5, 0.75, 0.8], curve.Select(c => Math.Round(c, 12)));
    }

    [Fact]
    public void MeanEnergyShareAndNullAreComputedFromTheBasisFigures()
    {
        // N = 10 rows of d = 4; σ² = (12, 4) carry 80 % of the total 20; mean row (1, 0, 0, 0), centred: uncentred total 20 + 10·1.
        var d = SubspaceDiagnostics.ForSpectrum(10, 4, [Math.Sqrt(12), 2], 0.8, [1f, 0f, 0f, 0f], centred: true)!;
        Assert.Equal(20, d.TotalEnergy, 12);
        Assert.Equal(10.0 / 30, d.MeanEnergyShare!.Value, 12);
        Assert.Equal(Numerics.Metrics.MarchenkoPastur.NullExplainedVariance(10, 4, 2), d.NullExplainedEnergy, 12);
        Assert.Equal(Math.Sqrt(20.0 / 40) * (Math.Sqrt(10) + 2), d.SingularValueEdge, 12);
    }

    [Fact]
    public void BasisFileCarriesItsDiagnosticsInTheMetadata()
    {
        using var fleet = TestFleet.TinyLora(models: 10);
        var basis = fleet.Fit(3, centred: false, modes: [BasisMode.Columns]).All[0];
        var path = fleet.Combine("basis.safetensors");
        BasisFile.Write(path, basis);

        using var file = ModelFormats.Safetensors.SafetensorsFile.Open(path);
        Assert.Equal("false", file.Metadata["within_noise"]);
        Assert.Equal("3", file.Metadata["directions_above_mp_edge"]);
        Assert.Equal(basis.Diagnostics!.MeanEnergyShare!.Value, double.Parse(file.Metadata["mean_energy_share"], System.Globalization.CultureInfo.InvariantCulture));
        var read = BasisFile.Read(path);
        Assert.Equal(basis.Diagnostics.MeanEnergyShare, read.Diagnostics!.MeanEnergyShare);
        Assert.Equal(basis.Diagnostics.NullExplainedEnergy, read.Diagnostics.NullExplainedEnergy, 12);
        Assert.Equal(basis.Vectors, read.Vectors);
    }

    [Fact]
    public void HeldOutCaptureIsTheShareOfEnergyTheBasisKeeps()
    {
        using var fleet = TestFleet.TinyLora(models: 12);
        var bases = fleet.Fit(3, centred: false, models: fleet.Models.Take(10), modes: [BasisMode.Columns]);
        var heldOut = fleet.Updates("layers.0.self_attn.q_proj", fleet.Models.Skip(11))[0];
        var projection = LayerProjection.For(CoefficientForm.Columns, bases, "layers.0.self_attn.q_proj");

        double captured = SubspaceDiagnostics.CapturedShare(heldOut, projection, TestFleet.Backend);
        var reconstruction = new SubspaceProjector(TestFleet.Backend).Reconstruct(
            new SubspaceProjector(TestFleet.Backend).Coefficients(heldOut, projection), projection, heldOut.OutFeatures, heldOut.InFeatures);
        // Orthogonal projection: ‖ΔŴ‖² / ‖ΔW‖² equals 1 − relative error².
        double kept = UpdateAlgebra.SquaredNorm(reconstruction, TestFleet.Backend) / UpdateAlgebra.SquaredNorm(heldOut, TestFleet.Backend);
        Assert.Equal(kept, captured, 5);
        var basis = bases.Get("layers.0.self_attn.q_proj", BasisMode.Columns);
        Assert.Equal(captured, SubspaceDiagnostics.CapturedShare(heldOut, BasisMode.Columns, basis.Vectors, 3, null, TestFleet.Backend), 12);
        Assert.InRange(captured, 0.99, 1.0); // a planted fleet: the held-out model lies in the basis up to noise
    }
}
