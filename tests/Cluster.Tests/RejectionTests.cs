using OrleansUws.Grains.Interfaces;
using OrleansUws.ModelFormats;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Peft;
using OrleansUws.ModelFormats.Safetensors;
using Xunit;

namespace OrleansUws.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class RejectionTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_model_recorded_queued_waits_as_queued_then_is_judged_and_a_rejected_one_queues_again()
    {
        var spec = FleetPresets.Create("tiny", 2) with { Seed = 23 };
        var good = GeneratedFleet.Generate(fixture.Root, "queued-good", spec);
        var corrupt = new ModelReference("queued-corrupt", CopyWithCorruptHeader(good.ModelPaths[0], Path.Combine(fixture.Root, "queued-corrupt", "model-corrupt")));
        var fleet = fixture.Client.GetGrain<IFleetGrain>("queued-records");
        await fleet.ConfigureAsync(new FleetConfiguration(Modes: [SketchMode.Rows], Sketch: new SketchSettings(16, 0), Basis: new BasisPolicy(4, 0.9, 8, 0, TimeSpan.Zero, 5, 50, 3)));

        // Recorded before a queue takes them: queued with the queue's reason, counted, no sketch touched.
        var waiting = await fleet.RecordQueuedAsync(good.Model(0));
        Assert.Equal((ModelStatus.Queued, ModelRecord.WaitingInQueue, good.Model(0).Location), (waiting.Status, waiting.Reason, waiting.Location));
        Assert.Equal(waiting, await fleet.GetModelAsync(good.Model(0).ModelId));
        await fleet.RecordQueuedAsync(corrupt);
        Assert.Equal(new ModelCounts(2, 0, 0), (await fleet.GetDescriptionAsync()).Counts);

        // The queue's submissions judge them as any other.
        Assert.Equal(ModelStatus.Absorbed, (await fleet.SubmitAsync(good.Model(0))).Status);
        Assert.Equal(ModelStatus.Rejected, (await fleet.SubmitAsync(corrupt)).Status);
        Assert.Equal(new ModelCounts(0, 1, 1), (await fleet.GetDescriptionAsync()).Counts);

        // An absorbed model keeps its record; a rejected one is queued again for its next submission.
        var absorbed = await fleet.GetModelAsync(good.Model(0).ModelId);
        Assert.Equal(absorbed, await fleet.RecordQueuedAsync(good.Model(0)));
        Assert.Equal(ModelStatus.Queued, (await fleet.RecordQueuedAsync(corrupt)).Status);
        Assert.Equal(new ModelCounts(1, 1, 0), (await fleet.GetDescriptionAsync()).Counts);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => fleet.RecordQueuedAsync(new ModelReference("no-location", " ")));
        Assert.Contains("model.Location", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mismatched_and_corrupt_models_are_rejected_with_reasons_and_change_no_basis()
    {
        var spec = FleetPresets.Create("tiny", 6) with { Seed = 21 };
        var good = GeneratedFleet.Generate(fixture.Root, "reject-good", spec);
        var wide = spec.Layers[0] with { InFeatures = spec.Layers[0].InFeatures + 8 };
        var mismatched = GeneratedFleet.Generate(fixture.Root, "reject-wide", spec with { ModelCount = 1, Layers = [wide, .. spec.Layers.Skip(1)] });
        var corruptFolder = CopyWithCorruptHeader(good.ModelPaths[0], Path.Combine(fixture.Root, "reject-corrupt", "model-corrupt"));

        var wrongShape = mismatched.Model(0) with { ModelId = "wrong-shape" };
        var corrupt = new ModelReference("corrupt", corruptFolder);
        var sequence = good.Models(0, 3).Append(wrongShape).Append(corrupt).Concat(good.Models(3, 3)).ToArray();
        var configuration = new FleetConfiguration(
            Modes: [SketchMode.Rows, SketchMode.Columns],
            Sketch: new SketchSettings(16, 0),
            Basis: new BasisPolicy(4, 0.9, 8, 0, TimeSpan.Zero, 5, 50, 3));
        var fleet = fixture.Client.GetGrain<IFleetGrain>("reject");
        var control = fixture.Client.GetGrain<IFleetGrain>("reject-control");
        await fleet.ConfigureAsync(configuration);
        await control.ConfigureAsync(configuration);

        var results = new List<SubmitResult>();
        foreach (var model in sequence)
        {
            results.Add(await fleet.SubmitAsync(model));
        }

        foreach (var model in good.Models(0, 6))
        {
            await control.SubmitAsync(model);
        }

        Assert.Equal(new ModelCounts(0, 6, 2), (await fleet.GetDescriptionAsync()).Counts);
        var wrongRecord = await fleet.GetModelAsync("wrong-shape");
        Assert.Equal(ModelStatus.Rejected, wrongRecord!.Status);
        Assert.Contains(wide.LayerId, wrongRecord.Reason);
        Assert.Contains($"{wide.OutFeatures}×{wide.InFeatures}", wrongRecord.Reason);
        Assert.Contains($"{spec.Layers[0].OutFeatures}×{spec.Layers[0].InFeatures}", wrongRecord.Reason);
        var corruptRecord = await fleet.GetModelAsync("corrupt");
        Assert.Equal(ModelStatus.Rejected, corruptRecord!.Status);
        Assert.Contains("model-corrupt", corruptRecord.Reason);
        Assert.Equal(results[3], new SubmitResult("wrong-shape", ModelStatus.Rejected, wrongRecord.Reason, false));
        Assert.Equal(["corrupt", "wrong-shape"], (await fleet.GetModelsAsync(ModelStatus.Rejected)).Select(m => m.ModelId).Order());

        foreach (var layer in spec.Layers)
        {
            foreach (var mode in new[] { SketchMode.Rows, SketchMode.Columns })
            {
                var a = fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator("reject", layer.LayerId, mode));
                var b = fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator("reject-control", layer.LayerId, mode));
                await a.ComputeNowAsync();
                await b.ComputeNowAsync();
                var basis = await a.GetBasisAsync();
                var expected = await b.GetBasisAsync();
                Assert.Equal(6, basis!.Info.ModelCount);
                Assert.Equal(expected!.Vectors, basis.Vectors);
                Assert.Equal(expected.SingularValues, basis.SingularValues);
            }
        }
    }

    [Fact]
    public async Task A_missing_file_is_rejected_naming_it_and_a_later_fixed_submission_is_absorbed()
    {
        var fleet = fixture.Client.GetGrain<IFleetGrain>("reject-missing");
        var missing = Path.Combine(fixture.Root, "no-such-model");
        var result = await fleet.SubmitAsync(new ModelReference("m0", missing));
        Assert.Equal(ModelStatus.Rejected, result.Status);
        Assert.Contains("no-such-model", result.Reason);
        Assert.Equal(new ModelCounts(0, 0, 1), (await fleet.GetDescriptionAsync()).Counts);

        var good = GeneratedFleet.Generate(fixture.Root, "reject-missing-fixed", FleetPresets.Create("tiny", 1) with { Seed = 22 });
        var retry = await fleet.SubmitAsync(good.Model(0) with { ModelId = "m0" });
        Assert.Equal(ModelStatus.Absorbed, retry.Status);
        Assert.Equal(new ModelCounts(0, 1, 0), (await fleet.GetDescriptionAsync()).Counts);
    }

    [Fact]
    public async Task A_non_finite_value_in_one_layer_changes_no_layer_and_a_fixed_resubmission_is_absorbed_by_all()
    {
        var good = GeneratedFleet.Generate(fixture.Root, "nan-good", FleetPresets.Create("tiny", 1) with { Seed = 23 });
        var layers = good.Spec.Layers.Select(l => l.LayerId).Order(StringComparer.Ordinal).ToArray();
        var poisoned = CopyWithNaN(good.ModelPaths[0], Path.Combine(fixture.Root, "nan-bad", "model-nan"), layers[0]);
        var fleet = fixture.Client.GetGrain<IFleetGrain>("nan");
        await fleet.ConfigureAsync(new FleetConfiguration(Sketch: new SketchSettings(16, 0), Basis: new BasisPolicy(3, 0.9, 8, 0, TimeSpan.Zero, 5, 50, 3)));

        var rejected = await fleet.SubmitAsync(new ModelReference("m", poisoned));

        Assert.True(rejected.Status == ModelStatus.Rejected, rejected.Reason);
        Assert.Contains($"model-nan", rejected.Reason);
        Assert.Contains($"{layers[0]}.lora_B.weight", rejected.Reason);
        Assert.Contains("is not finite", rejected.Reason);
        foreach (var layer in layers)
        {
            Assert.Equal(0, await ModelsInLayerAsync("nan", layer));
        }

        var fixedResult = await fleet.SubmitAsync(new ModelReference("m", good.ModelPaths[0]));

        Assert.Equal(ModelStatus.Absorbed, fixedResult.Status);
        foreach (var layer in layers)
        {
            Assert.Equal(1, await ModelsInLayerAsync("nan", layer));
        }
    }

    private async Task<int> ModelsInLayerAsync(string fleet, string layer) =>
        (await fixture.Client.GetGrain<ILayerCoordinatorGrain>(UwsKeys.Coordinator(fleet, layer, SketchMode.Rows)).GetSlicesAsync()).Sum(s => s.ModelCount);

    /// <summary>Copies an adapter folder, rewriting its tensors as F32 with one NaN in the lora_B of <paramref name="layer"/>.</summary>
    private static string CopyWithNaN(string source, string destination, string layer)
    {
        Directory.CreateDirectory(destination);
        File.Copy(Path.Combine(source, "adapter_config.json"), Path.Combine(destination, "adapter_config.json"));
        using var file = SafetensorsFile.Open(Path.Combine(source, "adapter_model.safetensors"));
        var tensors = file.Tensors.Select(t =>
        {
            var values = new float[t.ElementCount];
            file.ReadTensor(t.Name, values);
            if (PeftKeys.TryParseLoraKey(t.Name, out _, out var id, out var factor) && id == layer && factor == LoraFactor.B)
            {
                values[1] = float.NaN;
            }

            return (new TensorSpec(t.Name, TensorDType.F32, t.Shape), values);
        }).ToArray();
        SafetensorsWriter.WriteAll(Path.Combine(destination, "adapter_model.safetensors"), tensors);
        return destination;
    }

    /// <summary>Copies a model folder (or file) and overwrites the 8-byte header length of its safetensors file with garbage.</summary>
    private static string CopyWithCorruptHeader(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }

        var tensors = Directory.GetFiles(destination, "*.safetensors").Single();
        using var stream = File.OpenWrite(tensors);
        stream.Write(BitConverter.GetBytes(long.MaxValue / 3));
        return destination;
    }
}
