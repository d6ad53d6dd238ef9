using OrleansUws.Coordinator.Cli;
using OrleansUws.ModelFormats.Fleets;
using OrleansUws.ModelFormats.Safetensors;
using OrleansUws.ModelFormats;
using Xunit;

namespace OrleansUws.Cluster.Tests.Coordinator;

/// <summary><c>uws fleet generate</c> writes the fleet the formats library describes, deterministically.</summary>
public sealed class FleetGenerateCommandTests
{
    [Fact]
    public async Task Writes_every_model_with_the_requested_rank_and_the_ground_truth()
    {
        using var folder = new TempFolder();
        var fleet = folder.Combine("fleet");

        var run = await CliHarness.InvokeAsync("fleet", "generate", "--out", fleet, "--preset", "tiny", "--models", "3", "--layers", "1", "--rank", "4", "--seed", "7");

        Assert.True(run.ExitCode == ExitCodes.Success, run.ToString());
        var expectedLayers = FleetPresets.Create("tiny", 3, 1).Layers;
        var models = ModelReader.EnumerateModels(fleet);
        Assert.Equal(["model-00000", "model-00001", "model-00002"], models.Select(Path.GetFileName));
        foreach (var path in models)
        {
            Assert.True(File.Exists(Path.Combine(path, "adapter_config.json")), path);
            using var reader = ModelReader.Open(path);
            Assert.Equal(ModelKind.LoraAdapter, reader.Kind);
            Assert.Equal(expectedLayers.Select(l => l.LayerId).Order(StringComparer.Ordinal), reader.Layers.Select(l => l.LayerId));
            Assert.All(reader.Layers, layer => Assert.Equal(4, layer.Rank));
        }

        Assert.True(File.Exists(Path.Combine(fleet, "fleet.json")));
        using var truth = SafetensorsFile.Open(Path.Combine(fleet, "ground-truth.safetensors"));
        foreach (var layer in expectedLayers)
        {
            var basis = truth.GetTensor($"{layer.LayerId}.rows_basis");
            Assert.Equal(layer.InFeatures, basis.Columns);
        }

        Assert.Contains("wrote 3 ", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_seed_writes_the_same_models_whatever_the_count()
    {
        using var folder = new TempFolder();
        var small = folder.Combine("small");
        var large = folder.Combine("large");

        var first = await CliHarness.InvokeAsync("fleet", "generate", "--out", small, "--preset", "tiny", "--models", "2", "--layers", "1", "--seed", "11");
        var second = await CliHarness.InvokeAsync("fleet", "generate", "--out", large, "--preset", "tiny", "--models", "3", "--layers", "1", "--seed", "11");

        Assert.Equal(ExitCodes.Success, first.ExitCode);
        Assert.Equal(ExitCodes.Success, second.ExitCode);
        const string weights = "model-00001/adapter_model.safetensors";
        Assert.Equal(File.ReadAllBytes(Path.Combine(small, weights)), File.ReadAllBytes(Path.Combine(large, weights)));
    }
}
