using Orleans.Core.Internal;
using OrleansUws.Grains.Flattened;
using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Safetensors;
using OrleansUws.Numerics.Backends;
using OrleansUws.Numerics.Metrics;
using OrleansUws.Numerics.Sketching;
using Xunit;

namespace OrleansUws.Cluster.Tests;

/// <summary>
/// Flattened mode: each model is one row vec(W) split by columns over 3 column-slice grains that shrink together.
/// The references are computed here: a single-node Frequent Directions sketch over the full rows (same order, same ℓ)
/// and an exact SVD of the stacked vec(W_t) (via the T×T Gram, Jacobi in double).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FlattenedModeTests(ClusterFixture fixture)
{
    private const int Slices = 3, Ell = 8, K = 4;
    private static readonly BasisPolicy Policy = new(K, 0.9, K, 0, TimeSpan.Zero, 5, 50, 7);
    private static readonly FleetConfiguration Configuration = new(
        Modes: [SketchMode.Flattened], Sketch: new SketchSettings(Ell, 0), Basis: Policy, FlattenedSliceCount: Slices);

    [Fact]
    public async Task A_flattened_dense_fleet_equals_single_node_frequent_directions_and_the_exact_svd()
    {
        // Uncentred dense fleet: the mean plus 3 planted eigen-models, low noise, so k = 4 has a clear gap.
        var spec = FleetPresets.Create(FleetPresets.TinyDense, 30, layerCount: 1) with { Seed = 41, NoiseLevel = 0.01 };
        var fleet = GeneratedFleet.Generate(fixture.Root, "flat-dense", spec);
        var grain = fixture.Client.GetGrain<IFleetGrain>("flat-dense");
        await grain.ConfigureAsync(Configuration);

        foreach (var model in fleet.Models(0, 20))
        {
            Assert.Equal(ModelStatus.Absorbed, (await grain.SubmitAsync(model)).Status);
        }

        var first = new Dictionary<string, LayerBasis>();
        foreach (var layer in spec.Layers)
        {
            await Coordinator("flat-dense", layer).ComputeNowAsync();
            first[layer.LayerId] = (await Coordinator("flat-dense", layer).GetBasisAsync())!;
        }

        foreach (var model in fleet.Models(20, 10))
        {
            Assert.Equal(ModelStatus.Absorbed, (await grain.SubmitAsync(model)).Status);
        }

        var silos = new HashSet<string>();
        foreach (var layer in spec.Layers)
        {
            var coordinator = Coordinator("flat-dense", layer);
            var info = (await coordinator.ComputeNowAsync())!;
            var basis = (await coordinator.GetBasisAsync())!;
            int d = layer.OutFeatures * layer.InFeatures;
            Assert.Equal((2, 30, 30L, K, d), (info.Version, info.ModelCount, info.RowCount, info.Rank, basis.Dimension));
            Assert.False(info.Centered);

            var slices = await coordinator.GetSlicesAsync();
            Assert.Equal(Slices, slices.Count);
            Assert.All(slices, s => Assert.Equal(30, s.ModelCount));
            silos.UnionWith(slices.Select(s => s.Silo));

            var (single, rows) = SingleNode(fleet, layer, 30);
            using (single)
            {
                var (fdBasis, fdSigma) = TopRowSpace(Widen(Rows(single)), single.BufferedRows, d, K);
                Assert.True(SubspaceMetrics.SinThetaMax(basis.Vectors, K, fdBasis, K, d) <= 1e-4, layer.LayerId);
                for (int i = 0; i < K; i++)
                {
                    Assert.Equal(fdSigma[i], basis.SingularValues[i], fdSigma[0] * 1e-4);
                }

                // δ is the ℓ-th eigenvalue of a Gram of float32 rows: known to ~1e-7·λ₁ per shrink (measured 2e-4..2e-3 of the
                // certificate, which is ~1e-5·λ₁ here), so compare on the scale of λ₁.
                Assert.Equal(single.Certificate, info.Certificate, fdSigma[0] * fdSigma[0] * 1e-6);
                var mean = new double[d];
                single.CopyMean(mean);
                Assert.All(Enumerable.Range(0, d), j => Assert.Equal(mean[j], basis.Mean![j], 1e-5));
            }

            var (exact, _) = TopRowSpace(rows, 30, d, K);
            double toExact = SubspaceMetrics.SinThetaMax(basis.Vectors, K, exact, K, d);
            Assert.True(toExact <= 1e-3, $"{layer.LayerId}: sin θ to the exact SVD {toExact}");
            AssertSignsAndOrthonormality(basis.Vectors, K, d);

            var previous = first[layer.LayerId];
            double assembled = SubspaceMetrics.SinThetaMax(basis.Vectors, K, previous.Vectors, K, d);
            Assert.Equal(assembled, info.SinThetaToPrevious!.Value, 1e-6);
        }

        Assert.Equal(2, silos.Count);
    }

    [Fact]
    public async Task Flattened_lora_layers_are_materialised_per_block_and_resubmissions_change_nothing()
    {
        var spec = FleetPresets.Create(FleetPresets.Tiny, 12, layerCount: 1) with { Seed = 42 };
        var fleet = GeneratedFleet.Generate(fixture.Root, "flat-lora", spec);
        var grain = fixture.Client.GetGrain<IFleetGrain>("flat-lora");
        await grain.ConfigureAsync(Configuration with { Modes = [SketchMode.Rows, SketchMode.Flattened] });
        foreach (var model in fleet.Models(0, 12))
        {
            await grain.SubmitAsync(model);
        }

        var before = new List<LayerBasis>();
        foreach (var layer in spec.Layers)
        {
            await Coordinator("flat-lora", layer).ComputeNowAsync();
            var basis = (await Coordinator("flat-lora", layer).GetBasisAsync())!;
            before.Add(basis);
            int d = layer.OutFeatures * layer.InFeatures;
            var (single, _) = SingleNode(fleet, layer, 12);
            using (single)
            {
                var (fdBasis, _) = TopRowSpace(Widen(Rows(single)), single.BufferedRows, d, K);
                Assert.True(SubspaceMetrics.SinThetaMax(basis.Vectors, K, fdBasis, K, d) <= 1e-4, layer.LayerId);
            }

            var rowsMode = await fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator("flat-lora", layer.LayerId, SketchMode.Rows)).ComputeNowAsync();
            Assert.Equal(12, rowsMode!.ModelCount);
        }

        // The registry's lost-model check looks only at model slices: the flattened layers (no model slices) re-queue nothing.
        Assert.Empty(await grain.RequeueLostModelsAsync());
        Assert.Equal(12, (await grain.GetModelsAsync(ModelStatus.Absorbed)).Count);

        // Every model again, concurrently: the registry answers AlreadyKnown; the coordinator itself answers AlreadyAbsorbed.
        var again = await Task.WhenAll(fleet.Models(0, 12).Select(grain.SubmitAsync));
        Assert.All(again, r => Assert.True(r.AlreadyKnown));
        var layer0 = spec.Layers[0];
        var configuration = (await Coordinator("flat-lora", layer0).GetStatusAsync()).Configuration!;
        var direct = await Coordinator("flat-lora", layer0).AbsorbFlattenedAsync(fleet.Model(3), configuration);
        Assert.Equal(new AbsorbResult(fleet.Model(3).ModelId, AlreadyAbsorbed: true, 0, 12), direct);

        for (int i = 0; i < spec.Layers.Count; i++)
        {
            var coordinator = Coordinator("flat-lora", spec.Layers[i]);
            Assert.Equal(before[i].Info, await coordinator.ComputeNowAsync());
            var after = (await coordinator.GetBasisAsync())!;
            Assert.Equal(before[i].Vectors, after.Vectors);
            Assert.Equal(before[i].SingularValues, after.SingularValues);
            Assert.All(await coordinator.GetSlicesAsync(), s => Assert.Equal(12, s.ModelCount));
        }
    }

    [Fact]
    public async Task A_non_finite_value_in_one_slice_block_is_refused_by_every_slice()
    {
        var spec = FleetPresets.Create(FleetPresets.TinyDense, 6, layerCount: 1) with { Seed = 43 };
        var good = GeneratedFleet.Generate(fixture.Root, "flat-nan-good", spec);
        var poisonedLayer = spec.Layers[0];
        var poisoned = CopyWithNaN(good.ModelPaths[0], Path.Combine(fixture.Root, "flat-nan-bad", "model-nan.safetensors"), poisonedLayer);
        var fleet = fixture.Client.GetGrain<IFleetGrain>("flat-nan");
        var control = fixture.Client.GetGrain<IFleetGrain>("flat-nan-control");
        await fleet.ConfigureAsync(Configuration with { Basis = Policy with { Rank = 3, MaxRank = 3 } });
        await control.ConfigureAsync(Configuration with { Basis = Policy with { Rank = 3, MaxRank = 3 } });

        foreach (var model in good.Models(0, 3).Append(new ModelReference("bad", poisoned)).Concat(good.Models(3, 3)))
        {
            await fleet.SubmitAsync(model);
        }

        foreach (var model in good.Models(0, 6))
        {
            await control.SubmitAsync(model);
        }

        var record = (await fleet.GetModelAsync("bad"))!;
        Assert.Equal(ModelStatus.Rejected, record.Status);
        Assert.Contains(poisonedLayer.LayerId, record.Reason);
        Assert.Contains("is not finite", record.Reason);

        var a = Coordinator("flat-nan", poisonedLayer);
        var b = Coordinator("flat-nan-control", poisonedLayer);
        Assert.All(await a.GetSlicesAsync(), s => Assert.Equal(6, s.ModelCount));
        await a.ComputeNowAsync();
        await b.ComputeNowAsync();
        var basis = (await a.GetBasisAsync())!;
        var expected = (await b.GetBasisAsync())!;
        Assert.Equal(6, basis.Info.ModelCount);
        Assert.Equal(expected.Vectors, basis.Vectors);
        Assert.Equal(expected.SingularValues, basis.SingularValues);
        Assert.Equal(expected.Mean, basis.Mean);

        // A slice asked for a row out of its sequence refuses loudly instead of appending.
        var configuration = (await a.GetStatusAsync()).Configuration!;
        var slice = fixture.Client.GetGrain<IColumnSliceGrain>(UwsKeys.Slice("flat-nan", poisonedLayer.LayerId, SketchMode.Flattened, 1));
        var outOfStep = await Assert.ThrowsAsync<InvalidOperationException>(() => slice.StageAsync(good.Model(0), configuration, 3));
        Assert.Contains("holds 6 rows but was asked to stage row 3", outOfStep.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => slice.CommitAsync(3));
        Assert.All(await a.GetSlicesAsync(), s => Assert.Equal(6, s.ModelCount));
    }

    [Fact]
    public async Task A_flattened_coordinator_writes_a_bounded_id_set_and_still_knows_every_model_after_reactivation()
    {
        // Two sealed parts of ids and a few in the open one.
        const int models = (2 * FlattenedIdLog.SegmentIds) + 5;
        var spec = FleetPresets.Create(FleetPresets.Tiny, models, layerCount: 1) with { Seed = 43 };
        var fleet = GeneratedFleet.Generate(fixture.Root, "flat-ids", spec);
        var grain = fixture.Client.GetGrain<IFleetGrain>("flat-ids");
        await grain.ConfigureAsync(Configuration);
        foreach (var model in fleet.Models(0, models))
        {
            Assert.Equal(ModelStatus.Absorbed, (await grain.SubmitAsync(model)).Status);
        }

        var layer = spec.Layers[0];
        var coordinator = Coordinator("flat-ids", layer);
        var stored = await fixture.StoredStateAsync(coordinator);
        Assert.Equal((2, models, 5), (stored.SealedFlattenedIdSegments, stored.FlattenedModelCount, stored.FlattenedModelIds.Count));

        // A fresh activation reads the sealed ids back: a model of the first part is known, every model is durable.
        await coordinator.AsReference<IGrainManagementExtension>().DeactivateOnIdle(TestContext.Current.CancellationToken);
        var configuration = (await coordinator.GetStatusAsync()).Configuration!;
        Assert.Equal(models, (await coordinator.GetStatusAsync()).AbsorbedModels);
        Assert.Equal(new AbsorbResult(fleet.Model(1).ModelId, AlreadyAbsorbed: true, 0, models), await coordinator.AbsorbFlattenedAsync(fleet.Model(1), configuration));
        Assert.Empty(await coordinator.CheckpointFlattenedAsync([.. fleet.Models(0, models).Select(m => m.ModelId)]));
        Assert.Equal([fleet.Model(0).ModelId + "-never"], await coordinator.CheckpointFlattenedAsync([fleet.Model(0).ModelId + "-never"]));
        Assert.Equal(models, (await coordinator.ComputeNowAsync())!.ModelCount);
    }

    private ILayerCoordinatorGrain Coordinator(string fleet, FleetLayerSpec layer) =>
        fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(fleet, layer.LayerId, SketchMode.Flattened));

    /// <summary>Single-node FD (ℓ = 8, Track) over vec(W_t) of models [0, count) in submission order; also the stacked rows in double.</summary>
    private static (FrequentDirectionsSketch Sketch, double[] Rows) SingleNode(GeneratedFleet fleet, FleetLayerSpec layer, int count)
    {
        int m = layer.OutFeatures, n = layer.InFeatures;
        var sketch = new FrequentDirectionsSketch(new ManagedBlasBackend(), m * n, Ell, MeanMode.Track);
        var stacked = new double[count * m * n];
        var w = new float[m * n];
        for (int t = 0; t < count; t++)
        {
            using var reader = ModelReader.Open(fleet.ModelPaths[t]);
            reader.ReadRows(layer.LayerId, 0, m, w);
            sketch.AppendRows(w, 1);
            for (int j = 0; j < w.Length; j++)
            {
                stacked[(t * m * n) + j] = w[j];
            }
        }

        return (sketch, stacked);
    }

    private static float[] Rows(FrequentDirectionsSketch sketch)
    {
        var rows = new float[sketch.BufferedRows * sketch.Dimension];
        sketch.CopyRows(rows);
        return rows;
    }

    private static double[] Widen(float[] values) => Array.ConvertAll(values, v => (double)v);

    /// <summary>Top-k right singular vectors (k×d) and singular values of X (rows×d), from X·Xᵀ by Jacobi, in double.</summary>
    private static (float[] Basis, double[] Sigma) TopRowSpace(double[] x, int rows, int d, int k)
    {
        var gram = new double[rows * rows];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < rows; j++)
            {
                double sum = 0;
                for (int c = 0; c < d; c++)
                {
                    sum += x[(i * d) + c] * x[(j * d) + c];
                }

                gram[(i * rows) + j] = sum;
            }
        }

        var (values, vectors) = Reference.SymmetricEigen(gram, rows);
        var basis = new float[k * d];
        var sigma = new double[k];
        for (int i = 0; i < k; i++)
        {
            sigma[i] = Math.Sqrt(values[i]);
            for (int c = 0; c < d; c++)
            {
                double sum = 0;
                for (int r = 0; r < rows; r++)
                {
                    sum += vectors[(i * rows) + r] * x[(r * d) + c];
                }

                basis[(i * d) + c] = (float)(sum / sigma[i]);
            }
        }

        return (basis, sigma);
    }

    private static void AssertSignsAndOrthonormality(float[] vectors, int k, int d)
    {
        for (int i = 0; i < k; i++)
        {
            var row = vectors.AsSpan(i * d, d);
            int peak = 0;
            for (int c = 1; c < d; c++)
            {
                peak = Math.Abs(row[c]) > Math.Abs(row[peak]) ? c : peak;
            }

            Assert.True(row[peak] > 0, $"vector {i}: largest entry {row[peak]} is not positive");
            double norm = 0;
            foreach (var v in row)
            {
                norm += (double)v * v;
            }

            Assert.Equal(1.0, norm, 1e-4);
        }
    }

    /// <summary>Copies a dense checkpoint with one NaN at row m − 1, column 1 of <paramref name="layer"/> (a block only the last slice reads).</summary>
    private static string CopyWithNaN(string source, string destination, FleetLayerSpec layer)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        using var file = SafetensorsFile.Open(source);
        var tensors = file.Tensors.Select(t =>
        {
            var values = new float[t.ElementCount];
            file.ReadTensor(t.Name, values);
            if (t.Name == layer.ModulePath + ".weight")
            {
                values[((layer.OutFeatures - 1) * layer.InFeatures) + 1] = float.NaN;
            }

            return (new TensorSpec(t.Name, TensorDType.F32, t.Shape), values);
        }).ToArray();
        SafetensorsWriter.WriteAll(destination, tensors, file.Metadata);
        return destination;
    }
}
