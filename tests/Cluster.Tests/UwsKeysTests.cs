using OrleansUws.Grains.Interfaces;
using Xunit;

namespace OrleansUws.Cluster.Tests;

public sealed class UwsKeysTests
{
    [Fact]
    public void Keys_have_the_documented_form_and_parse_back()
    {
        Assert.Equal("demo", UwsKeys.Fleet("demo"));
        Assert.Equal("demo/layers.0.q_proj/rows", UwsKeys.Coordinator("demo", "layers.0.q_proj", SketchMode.Rows));
        var key = UwsKeys.Slice("demo", "layers.0.q_proj", SketchMode.Columns, 3);
        Assert.Equal("demo/layers.0.q_proj/columns/3", key);
        Assert.Equal(("demo", "layers.0.q_proj", SketchMode.Columns, 3), UwsKeys.ParseSlice(key));
        Assert.Equal(("demo", "layers.0.q_proj", SketchMode.Rows), UwsKeys.ParseCoordinator("demo/layers.0.q_proj/rows"));
    }

    [Fact]
    public void Flattened_mode_has_its_key_name_dimension_and_whole_row_blocks()
    {
        Assert.Equal("demo/q/flattened/2", UwsKeys.Slice("demo", "q", SketchMode.Flattened, 2));
        Assert.Equal(("demo", "q", SketchMode.Flattened, 2), UwsKeys.ParseSlice("demo/q/flattened/2"));
        Assert.Equal(SketchMode.Flattened, UwsKeys.ParseMode("FLATTENED"));
        var shape = new LayerShape(10, 7);
        Assert.Equal(70, shape.DimensionFor(SketchMode.Flattened));
        Assert.Equal([(0, 3), (3, 6), (6, 10)], Enumerable.Range(0, 3).Select(s => shape.RowBlock(s, 3)));
        Assert.Equal([(0, 1), (1, 2)], Enumerable.Range(0, 2).Select(s => new LayerShape(2, 5).RowBlock(s, 2)));
        Assert.Throws<OverflowException>(() => new LayerShape(65536, 65536).DimensionFor(SketchMode.Flattened));
    }

    [Fact]
    public void A_slash_in_a_fleet_or_layer_is_refused_naming_the_part()
    {
        var fleet = Assert.Throws<ArgumentException>(() => UwsKeys.Coordinator("a/b", "layer", SketchMode.Rows));
        Assert.Contains("fleet 'a/b'", fleet.Message);
        var layer = Assert.Throws<ArgumentException>(() => UwsKeys.Slice("a", "x/y", SketchMode.Rows, 0));
        Assert.Contains("layer 'x/y'", layer.Message);
    }

    [Fact]
    public void Malformed_keys_and_modes_are_refused_quoting_them()
    {
        Assert.Contains("'demo/layer/rows'", Assert.Throws<FormatException>(() => UwsKeys.ParseSlice("demo/layer/rows")).Message);
        Assert.Contains("'diagonal'", Assert.Throws<FormatException>(() => UwsKeys.ParseMode("diagonal")).Message);
        Assert.Equal(SketchMode.Columns, UwsKeys.ParseMode(" Columns "));
    }

    [Fact]
    public void SliceOf_is_fnv1a_of_the_utf8_id_modulo_the_slice_count()
    {
        // FNV-1a 32-bit of "a" is 0xE40C292C; of "" is the offset basis 0x811C9DC5.
        Assert.Equal((int)(0xE40C292Cu % 7u), UwsKeys.SliceOf("a", 7));
        Assert.Equal((int)(0x811C9DC5u % 5u), UwsKeys.SliceOf(string.Empty, 5));
        var counts = new int[4];
        for (var i = 0; i < 400; i++)
        {
            counts[UwsKeys.SliceOf($"model-{i:D5}", 4)]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 70, 130));
    }
}
