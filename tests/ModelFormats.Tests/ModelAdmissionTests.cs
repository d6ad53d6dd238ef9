using OrleansUws.ModelFormats.Admission;
using Xunit;

namespace OrleansUws.ModelFormats.Tests;

public sealed class ModelAdmissionTests
{
    [Fact]
    public void Lora_layer_norms_equal_the_norm_of_the_dense_delta()
    {
        using var temp = new TempFolder();
        var a = AdapterFolder.Values(2 * 5, 1);
        var b = AdapterFolder.Values(3 * 2, 2);
        var folder = AdapterFolder.Write(temp.File("m"), AdapterFolder.Config(rank: 2, alpha: 8),
            ("base_model.model.layers.0.q_proj.lora_A.weight", [2, 5], a),
            ("base_model.model.layers.0.q_proj.lora_B.weight", [3, 2], b));
        using var reader = ModelReader.Open(folder);

        var norms = ModelAdmission.Check(reader, fleet: null);

        // ΔW = (α/r)·B·A, formed densely in float64.
        double sum = 0;
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 5; j++)
            {
                var w = 4.0 * ((b[i * 2] * (double)a[j]) + (b[(i * 2) + 1] * (double)a[5 + j]));
                sum += w * w;
            }
        }

        var norm = Assert.Single(norms);
        Assert.Equal("layers.0.q_proj", norm.Key);
        Assert.Equal(Math.Sqrt(sum), norm.Value, 1e-9);
    }

    [Fact]
    public void A_layer_whose_gram_would_overflow_is_refused_naming_it()
    {
        using var temp = new TempFolder();
        var huge = Enumerable.Repeat(1e18f, 10).ToArray();
        var folder = AdapterFolder.Write(temp.File("huge"), AdapterFolder.Config(rank: 2, alpha: 2),
            ("base_model.model.layers.0.q_proj.lora_A.weight", [2, 5], huge),
            ("base_model.model.layers.0.q_proj.lora_B.weight", [5, 2], huge));
        using var reader = ModelReader.Open(folder);

        var ex = Assert.Throws<ModelFormatException>(() => ModelAdmission.Check(reader, fleet: null));

        Assert.Equal("layers.0.q_proj", ex.TensorName);
        Assert.Contains("would overflow float32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_of_another_architecture_is_refused_naming_both_shapes()
    {
        using var temp = new TempFolder();
        var folder = AdapterFolder.Write(temp.File("m"), AdapterFolder.Config(rank: 2),
            ("base_model.model.layers.0.q_proj.lora_A.weight", [2, 5], AdapterFolder.Values(10, 1)),
            ("base_model.model.layers.0.q_proj.lora_B.weight", [3, 2], AdapterFolder.Values(6, 2)));
        using var reader = ModelReader.Open(folder);
        var fleet = new ModelArchitecture(new Dictionary<string, LayerShape> { ["layers.0.q_proj"] = new(3, 4) });

        var ex = Assert.Throws<ModelFormatException>(() => ModelAdmission.Check(reader, fleet));

        Assert.Contains("3×5", ex.Message, StringComparison.Ordinal);
        Assert.Contains("3×4", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_content_hash_changes_with_any_byte_of_the_model_and_names_no_path()
    {
        using var temp = new TempFolder();
        var values = AdapterFolder.Values(10, 1);
        string Write(string name) => AdapterFolder.Write(temp.File(name), AdapterFolder.Config(rank: 2),
            ("base_model.model.layers.0.q_proj.lora_A.weight", [2, 5], values),
            ("base_model.model.layers.0.q_proj.lora_B.weight", [5, 2], AdapterFolder.Values(10, 2)));
        var first = ModelAdmission.ContentHash(Write("a"));
        var same = ModelAdmission.ContentHash(Write("b"));
        values[7] += 1;
        var changed = ModelAdmission.ContentHash(Write("c"));

        Assert.Equal(first, same);
        Assert.NotEqual(first, changed);
        Assert.Equal(64, first.Length);
    }
}
